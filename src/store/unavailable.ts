import type { CompiledQuery, DatabaseConnection, Dialect, Driver } from "kysely";
import { errorKind } from "../lib/errors.js";

/**
 * The database cannot be reached for now (a PostgreSQL server restarting or down, a connection cut, a
 * SQLite file locked past its busy timeout): a failure outside keyless that goes away by itself. Every
 * driver error of that kind leaves the store as this one type (`cause`: the driver's error), so each edge
 * answers it the same way: the issuer a 503 problem with `Retry-After`, the emulator AWS's
 * `ServiceUnavailable`, the CLI exit status 3. Any other driver error (a constraint, a syntax error) passes
 * through unchanged: that is a bug or a conflict, not an outage.
 */
export class DatabaseUnavailableError extends errorKind("ERR_DATABASE_UNAVAILABLE", "outside") {}

/** Seconds a client should wait before retrying a request refused for an outage (`Retry-After`). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * SQLSTATE codes of an outage (https://www.postgresql.org/docs/current/errcodes-appendix.html): class 08
 * (connection exception), 57P01 admin_shutdown (`pg_ctl stop/restart` terminating sessions), 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down), 53300 too_many_connections.
 */
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** Node's socket errors (https://nodejs.org/api/errors.html#common-system-errors) on the way to the server. */
const SOCKET = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * node-postgres reports a lost or refused connection with plain `Error`s that carry no code
 * (pg/lib/client.js, pg-pool/index.js); their messages are all there is to tell them apart.
 */
const PG_CONNECTION_MESSAGE =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect|Query read timeout|timeout expired)$/;

/**
 * SQLite: a lock still held when `busy_timeout` ran out (SQLITE_BUSY and its extended codes,
 * https://www.sqlite.org/rescode.html#busy).
 */
const SQLITE_BUSY = /^SQLITE_BUSY(_[A-Z]+)?$/;

function isOutage(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  if (error instanceof DatabaseUnavailableError) return true;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === "string" && (SQLSTATE.test(code) || SOCKET.has(code) || SQLITE_BUSY.test(code))) {
    return true;
  }
  if (code === undefined && typeof message === "string" && PG_CONNECTION_MESSAGE.test(message)) return true;
  // Node's happy-eyeballs connect reports every address tried in an AggregateError.
  if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => isOutage(e, depth + 1))) return true;
  return cause !== undefined && isOutage(cause, depth + 1);
}

/**
 * The one place database errors are classified: a `DatabaseUnavailableError` (cause: `error`) when
 * `error` says the database cannot be reached for now, otherwise `error` itself, unchanged.
 */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || !isOutage(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new DatabaseUnavailableError(`the database is unavailable: ${detail}`, { cause: error });
}

/**
 * `run()`'s result, its failure classified, whether it throws or rejects: some drivers fail synchronously
 * (better-sqlite3 under Kysely's SQLite connection throws SQLITE_BUSY before returning a promise).
 */
async function classified<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw classifyDatabaseError(error);
  }
}

const CLASSIFIED = Symbol("keyless.classified");

/** Makes `connection`'s queries reject with classified errors; connections are reused, patched once. */
function classifyConnection(connection: DatabaseConnection): DatabaseConnection {
  const c = connection as DatabaseConnection & { [CLASSIFIED]?: true };
  if (c[CLASSIFIED]) return c;
  const executeQuery = c.executeQuery.bind(c);
  c.executeQuery = <R>(query: CompiledQuery) => classified(() => executeQuery<R>(query));
  c[CLASSIFIED] = true;
  return c;
}

/**
 * `dialect` whose driver and connections reject with classified errors (`classifyDatabaseError`), so
 * every caller of the store sees an outage as `DatabaseUnavailableError`, whichever query met it.
 */
export function classifyingDialect(dialect: Dialect): Dialect {
  return {
    createDriver: () => classifyingDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

function classifyingDriver(driver: Driver): Driver {
  const wrapped: Driver = {
    init: () => classified(() => driver.init()),
    acquireConnection: async () => classifyConnection(await classified(() => driver.acquireConnection())),
    beginTransaction: (c, settings) => classified(() => driver.beginTransaction(c, settings)),
    commitTransaction: (c) => classified(() => driver.commitTransaction(c)),
    rollbackTransaction: (c) => classified(() => driver.rollbackTransaction(c)),
    releaseConnection: (c) => driver.releaseConnection(c),
    destroy: () => driver.destroy(),
  };
  if (driver.savepoint) {
    const savepoint = driver.savepoint.bind(driver);
    wrapped.savepoint = (c, name, compile) => classified(() => savepoint(c, name, compile));
  }
  if (driver.rollbackToSavepoint) {
    const rollback = driver.rollbackToSavepoint.bind(driver);
    wrapped.rollbackToSavepoint = (c, name, compile) => classified(() => rollback(c, name, compile));
  }
  if (driver.releaseSavepoint) {
    const release = driver.releaseSavepoint.bind(driver);
    wrapped.releaseSavepoint = (c, name, compile) => classified(() => release(c, name, compile));
  }
  return wrapped;
}
