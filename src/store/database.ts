import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import {
  DEFAULT_MIGRATION_TABLE,
  Kysely,
  type Kysely as KyselyType,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from "kysely";
import pg from "pg";
import { errorKind, fileErrorFrom, isKeylessError, unreachable } from "../lib/errors.js";
import type { Migration } from "./migration.js";
import { classifyingDialect, DatabaseUnavailableError } from "./unavailable.js";

export type Dialect = "sqlite" | "postgres";

/**
 * An open, migrated database: the typed query layer over the tables `S` its opener declared, plus what
 * callers need to know about it.
 */
export interface Database<S = unknown> {
  readonly db: KyselyType<S>;
  readonly dialect: Dialect;
  /**
   * SQLite only: a number that changes whenever another connection (another worker or process)
   * commits, so in-process caches can tell when to drop what they hold. Costs one prepared PRAGMA.
   */
  readonly changeCounter: (() => number) | undefined;
  /** PostgreSQL only: the pool's connections (for metrics); undefined on SQLite. */
  readonly poolStats?: (() => { total: number; idle: number; waiting: number }) | undefined;
  close(): Promise<void>;
}

export class DatabaseUrlError extends errorKind("ERR_DATABASE_URL", "input") {}

/**
 * Where the data lives, from a URL: `postgres://…` / `postgresql://…` for PostgreSQL (several processes
 * or hosts may share it), otherwise a path to an SQLite file (`sqlite:` prefix optional) or `:memory:`.
 */
export function parseDatabaseUrl(
  url: string,
): { dialect: "postgres"; url: string } | { dialect: "sqlite"; path: string } {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: "postgres", url };
  const path = url.replace(/^sqlite:(\/\/)?/i, "");
  if (path === "") throw new DatabaseUrlError(`database URL "${url}" names no file`);
  return { dialect: "sqlite", path };
}

/**
 * Opens (creating if needed) the database at `url` and brings it up to date with `migrations`, the schema
 * history of the tables `S` the caller uses. Several components may share one database, each opening it
 * with its own migrations: steps another component already ran there are left alone.
 * Throws `DatabaseUrlError` for a URL naming no file; driver and migration errors pass through.
 */
export async function openDatabase<S>(url: string, migrations: readonly Migration[]): Promise<Database<S>> {
  const target = parseDatabaseUrl(url);
  let db: KyselyType<S>;
  let changeCounter: (() => number) | undefined;
  let poolStats: Database["poolStats"];
  if (target.dialect === "postgres") {
    // A server that does not answer fails a request after 5 s rather than holding it forever.
    const pool = new pg.Pool({ connectionString: target.url, max: 10, connectionTimeoutMillis: 5000 });
    // A connection the server closes (a restart terminates every session with 57P01) is reported as an
    // 'error' event on its client, and on the pool when the client is idle; an unheard 'error' event ends
    // the process (https://nodejs.org/api/events.html#error-events). The pool already drops such a client
    // and connects anew for the next query, whose own failure, if the server is still away, reaches its
    // caller as a DatabaseUnavailableError: the events need a listener and nothing more.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
    db = new Kysely<S>({ dialect: classifyingDialect(new PostgresDialect({ pool })) });
  } else {
    if (target.path !== ":memory:") {
      mkdirSync(dirname(target.path), { recursive: true, mode: 0o700 });
    }
    const fresh = target.path !== ":memory:" && !existsSync(target.path);
    const sqlite = new SQLite(target.path);
    // The store holds hashed secrets and encrypted keys: owner-only, like every secret-bearing file.
    if (fresh) chmodSync(target.path, 0o600);
    // WAL lets readers (e.g. a second emulator worker) run beside the single writer; busy_timeout makes
    // concurrent writers wait instead of failing with SQLITE_BUSY.
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("foreign_keys = ON");
    const dataVersion = sqlite.prepare("PRAGMA data_version").pluck();
    changeCounter = () => dataVersion.get() as number;
    db = new Kysely<S>({
      dialect: classifyingDialect(new SqliteDialect({ database: cachePreparedStatements(sqlite) })),
    });
  }
  await migrate(db as KyselyType<unknown>, migrations);
  return { db, dialect: target.dialect, changeCounter, poolStats, close: () => db.destroy() };
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a simple indexed
 * query, and hot paths (the issuer's token endpoint, the emulator) repeat the same few SQL strings. This
 * reuses prepared statements per SQL text (bounded), except while a statement is busy iterating (a
 * streamed query), when a fresh one is prepared. DDL invalidates statements, so schema changes clear it.
 */
function cachePreparedStatements(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    if (/^\s*(create|alter|drop)\b/i.test(source)) {
      cache.clear();
      return prepare(source);
    }
    const hit = cache.get(source);
    if (hit && !hit.busy) return hit;
    const statement = prepare(source);
    if (!hit && cache.size < 500) cache.set(source, statement);
    return statement;
  }) as typeof sqlite.prepare;
  return sqlite;
}

/**
 * Runs the caller's pending migrations. Kysely refuses to migrate a database holding a step it was not
 * given ("corrupted migrations"), but a shared database legitimately holds other components' steps: those
 * are passed back as no-ops, and components' histories may interleave (allowUnorderedMigrations).
 */
async function migrate(db: KyselyType<unknown>, migrations: readonly Migration[]): Promise<void> {
  // Read before migrating: the Migrator holds SQLite's only connection while it asks the provider.
  const all: Record<string, { up: Migration["up"] }> = {};
  for (const name of await executedMigrations(db)) all[name] = { up: async () => {} };
  for (const m of migrations) all[m.name] = { up: m.up };
  const provider: MigrationProvider = { getMigrations: async () => all };
  const { error } = await new Migrator({ db, provider, allowUnorderedMigrations: true }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/**
 * A failure to open `url` as the one line the CLI prints: a PostgreSQL server that does not answer is
 * a failure outside keyless (exit 3), named without its password; an SQLite path that cannot be created
 * is bad input (exit 2). Anything else is returned as it is.
 */
export function databaseFailure(error: unknown, url: string): Error {
  if (isKeylessError(error) && !(error instanceof DatabaseUnavailableError)) return error;
  const target = parseDatabaseUrl(url);
  if (target.dialect === "sqlite")
    return fileErrorFrom(error, "database", target.path, "give --database a file in a writable directory");
  const shown = new URL(target.url);
  if (shown.password) shown.password = "***";
  const reason = error instanceof DatabaseUnavailableError ? error.cause : error;
  return unreachable(`cannot reach the database at ${shown}: ${(reason as Error).message}`, { cause: error });
}

/** Names of the migrations already run on this database, by any component; none on a fresh one. */
async function executedMigrations(db: KyselyType<unknown>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === DEFAULT_MIGRATION_TABLE)) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(
    db,
  );
  return rows.rows.map((r) => r.name);
}
