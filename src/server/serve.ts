import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { iamMigrations } from "../aws/iam/migrations.js";
import type { IamTables } from "../aws/iam/tables.js";
import type { AuditSink } from "../issuer/audit-batcher.js";
import { OPERATOR } from "../issuer/authz.js";
import { AwsKmsKeys } from "../issuer/aws-kms.js";
import { loadKek } from "../issuer/kek.js";
import { kyselyIssuerRepository } from "../issuer/kysely-repository.js";
import { issuerMigrations } from "../issuer/migrations.js";
import { withMintContextCache } from "../issuer/mint-context-cache.js";
import { IssuerService } from "../issuer/service.js";
import type { IssuerTables } from "../issuer/tables.js";
import { type Clock, systemClock } from "../lib/clock.js";
import { ensureDataDir } from "../lib/data-dir.js";
import { cryptoIds, type IdGenerator } from "../lib/ids.js";
import { writeSecretFile } from "../lib/secret-file.js";
import { type Database, databaseFailure, openDatabase } from "../store/database.js";
import type { Migration } from "../store/migration.js";
import type { ServeConfig } from "./config.js";
import { ConnectedEmulator, consolePlugin } from "./console/plugin.js";
import { ConsoleSessions } from "./console/sessions.js";
import { buildIssuerApp } from "./issuer-app.js";
import type { Metrics } from "./metrics.js";

export const ADMIN_KEY_FILE = "admin-key";

/**
 * What `serve` keeps in its database: the issuer's tables and, for `--aws-emulator`, the emulator's (both
 * created up front, as they always were, so a database can gain the emulator later without surprises).
 */
export type ServeTables = IssuerTables & IamTables;
export const SERVE_MIGRATIONS: readonly Migration[] = [...iamMigrations, ...issuerMigrations];

export interface OpenIssuer {
  readonly service: IssuerService;
  readonly database: Database<ServeTables>;
  close(): Promise<void>;
}

/** The issuer service over the configured database and KEK (used by `serve` and by `keyless keys`). */
export async function openIssuer(
  config: ServeConfig,
  deps: {
    clock?: Clock;
    ids?: IdGenerator;
    /** Where mint records go, given the store (default: the store itself). */
    auditSink?: (store: AuditSink) => AuditSink;
  } = {},
): Promise<OpenIssuer> {
  ensureDataDir(config.dataDir);
  const kek = loadKek({ env: config.kek, dataDir: config.dataDir });
  const database = await openDatabase<ServeTables>(config.database, SERVE_MIGRATIONS).catch(
    (error: unknown) => {
      throw databaseFailure(error, config.database);
    },
  );
  const clock = deps.clock ?? systemClock;
  // The token endpoint's context read, cached while the store says nothing changed (SQLite only).
  const repository = withMintContextCache(kyselyIssuerRepository(database.db), database.changeCounter, clock);
  const service = new IssuerService(
    repository,
    kek,
    clock,
    deps.ids ?? cryptoIds,
    {
      issuerUrl: config.issuerUrl,
      publicUrl: config.publicUrl,
      signingAlgorithm: config.signingAlgorithm,
      keyPolicy: {
        overlapMs: config.keyOverlapSeconds * 1000,
        rotationIntervalMs: config.keyRotationIntervalSeconds * 1000,
      },
      maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
      keyCacheMs: 5000,
    },
    { ...(deps.auditSink ? { auditSink: deps.auditSink(repository) } : {}), ...keyCustody(config) },
  );
  return { service, database, close: () => database.close() };
}

/**
 * `KEYLESS_SIGNER`: new keys made locally or in AWS KMS. Keys already held in KMS sign through it in
 * either case (the SDK is loaded only when one does), so switching back to local keeps the active key.
 */
function keyCustody(config: ServeConfig) {
  const kms = new AwsKmsKeys({ keyIds: config.kmsKeyIds, issuerUrl: config.issuerUrl });
  return config.signer === "aws-kms" ? { keyCustody: kms, remoteSigner: kms } : { remoteSigner: kms };
}

/**
 * First start: a signing key, and an admin API key printed once (via `announce`, never the logger) and
 * written 0600 to the data directory.
 */
export async function bootstrap(
  issuer: OpenIssuer,
  config: ServeConfig,
  announce: (line: string) => void,
): Promise<void> {
  await issuer.service.signingKeys.maintainKeys();
  const created = await issuer.service.apiKeys.bootstrapAdminKey();
  if (!created) return;
  const file = join(config.dataDir, ADMIN_KEY_FILE);
  writeSecretFile(file, `${created.secret}\n`);
  announce(`keyless: bootstrap admin API key (shown once, also saved to ${file}):\n${created.secret}\n`);
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  /** The web console's sessions (`keyless dev` issues its one-time sign-in code here). */
  readonly console: ConsoleSessions;
  /** The AWS emulator the console's playground may load roles from (`keyless dev` connects its own). */
  readonly consoleEmulator: ConnectedEmulator;
  close(): Promise<void>;
}

/**
 * Listens with the issuer app; `extend` registers more routes on the same server (the place for the AWS
 * emulator's `--aws-emulator` endpoint).
 */
export async function startIssuerServer(
  config: ServeConfig,
  options: {
    logger?: Logger;
    extend?: (app: FastifyInstance) => Promise<void>;
    maintainKeys?: boolean;
    /** Where mint records go, given the store (default: the store itself). */
    auditSink?: (store: AuditSink) => AuditSink;
    /** Prometheus metrics; `clustered` when this process is one of `--workers N`. */
    metrics?: { registry: Metrics; clustered: boolean };
  } = {},
): Promise<RunningServer> {
  const issuer = await openIssuer(config, options.auditSink ? { auditSink: options.auditSink } : {});
  const app = await buildIssuerApp({
    service: issuer.service,
    ...(options.logger ? { logger: options.logger } : {}),
    wellKnownMaxAgeSeconds: config.wellKnownMaxAgeSeconds,
    metrics: options.metrics,
    rateLimits: config.rateLimits,
    ...(config.tlsCert && config.tlsKey
      ? { https: { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } }
      : {}),
  });
  // The web console under /console/ (src/server/console): sessions live in the issuer's store.
  const consoleSessions = new ConsoleSessions(issuer.service, config.consoleSessionSeconds ?? 8 * 3600);
  const consoleEmulator = new ConnectedEmulator();
  await app.register(consolePlugin, {
    service: issuer.service,
    secure: Boolean(config.tlsCert && config.tlsKey),
    sessions: consoleSessions,
    emulator: consoleEmulator,
  });
  if (options.extend) await options.extend(app);
  // A first copy of the JWKS and issuer list, served from memory should the database become unavailable.
  await issuer.service.signingKeys.jwks();
  await issuer.service.signingKeys.issuers();
  options.metrics?.registry.watchIssuer({
    keyStatuses: () => issuer.service.signingKeys.keyStatuses(OPERATOR),
    rotationIntervalMs: config.keyRotationIntervalSeconds * 1000,
    pool: issuer.database.poolStats,
    now: () => Date.now(),
  });
  // Scheduled rotation: checked every minute; every process may check, the decision is idempotent
  // enough (at worst two processes each add a pending key in the same minute, which is harmless).
  const timer =
    options.maintainKeys === false
      ? undefined
      : setInterval(() => {
          issuer.service.signingKeys
            .maintainKeys()
            .catch((err) => options.logger?.error({ err }, "key maintenance failed"));
        }, 60_000);
  timer?.unref();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  return {
    app,
    console: consoleSessions,
    consoleEmulator,
    url: `${config.tlsCert ? "https" : "http"}://${config.host}:${port}`,
    close: async () => {
      if (timer) clearInterval(timer);
      await app.close();
      await issuer.close();
    },
  };
}
