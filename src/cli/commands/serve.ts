import cluster from "node:cluster";
import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { FastifyInstance } from "fastify";
import { loadOrCreateKey, SEALING_KEY_ENV } from "../../aws/credentials/key-file.js";
import { createEmulator } from "../../aws/emulator.js";
import { systemClock } from "../../lib/clock.js";
import { inputError, isKeylessError, peerFailure } from "../../lib/errors.js";
import { cryptoIds } from "../../lib/ids.js";
import { superviseWorkers } from "../../server/cluster.js";
import { workerAuditSink } from "../../server/cluster-audit.js";
import { loadServeConfig, type ServeConfig } from "../../server/config.js";
import { asyncStderr, createLogger } from "../../server/logger.js";
import { createMetrics, serveClusterMetrics } from "../../server/metrics.js";
import { logEmulatorInternalError, mountEmulator } from "../../server/mount-emulator.js";
import { bootstrap, openIssuer, startIssuerServer } from "../../server/serve.js";

interface ServeFlags {
  config?: string;
  host?: string;
  port?: string;
  issuerUrl?: string;
  publicUrl?: string;
  dataDir?: string;
  database?: string;
  tlsCert?: string;
  tlsKey?: string;
  signingAlg?: string;
  keyOverlap?: string;
  keyRotationInterval?: string;
  workers?: string;
  logLevel?: string;
  rateLimitWindow?: string;
  tokenRateLimitPerRun?: string;
  tokenRateLimitPerAddress?: string;
  adminRateLimitPerKey?: string;
  awsEmulator?: boolean;
  metrics?: boolean;
  trustCa?: string[];
  issuerAlias?: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function configFrom(flags: ServeFlags, env: NodeJS.ProcessEnv): ServeConfig {
  return loadServeConfig({
    flags: {
      config: flags.config,
      host: flags.host,
      port: flags.port,
      issuerUrl: flags.issuerUrl,
      publicUrl: flags.publicUrl,
      dataDir: flags.dataDir,
      database: flags.database,
      tlsCert: flags.tlsCert,
      tlsKey: flags.tlsKey,
      signingAlgorithm: flags.signingAlg,
      keyOverlap: flags.keyOverlap,
      keyRotationInterval: flags.keyRotationInterval,
      workers: flags.workers,
      logLevel: flags.logLevel,
      rateLimitWindow: flags.rateLimitWindow,
      tokenRateLimitPerRun: flags.tokenRateLimitPerRun,
      tokenRateLimitPerAddress: flags.tokenRateLimitPerAddress,
      adminRateLimitPerKey: flags.adminRateLimitPerKey,
    },
    env,
  });
}

/** Options shared by commands that work on the issuer's data directory / database. */
export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", "JSON configuration file")
    .option("--data-dir <dir>", "data directory (KEYLESS_DATA_DIR, default ~/.keyless)")
    .option(
      "--database <url>",
      "SQLite file or postgres:// URL (KEYLESS_DATABASE, default <data-dir>/keyless.db)",
    );
}

async function serve(flags: ServeFlags): Promise<void> {
  const config = configFrom(flags, process.env);
  const aliases = new Map<string, string>();
  for (const value of flags.issuerAlias ?? []) {
    const eq = value.indexOf("=");
    if (eq <= 0 || !/^https:\/\//.test(value.slice(eq + 1))) {
      throw inputError(`--issuer-alias ${value}: expected HOST=https://ADDRESS:PORT`);
    }
    aliases.set(value.slice(0, eq), value.slice(eq + 1));
  }
  for (const file of flags.trustCa ?? []) {
    if (!existsSync(file)) throw inputError(`--trust-ca ${file}: no such file`);
  }
  // Buffered stderr: a request log line costs less than one write(2) each (docs/performance.md); pino
  // flushes it on exit, so a graceful stop loses no line (server/logger.ts).
  const logger = createLogger(config.logLevel, asyncStderr());
  const workers = Math.max(1, config.workers);
  // Created in the process that serves (the single process, or each worker), never in a cluster primary.
  const metrics =
    flags.metrics !== false && !(workers > 1 && cluster.isPrimary)
      ? { registry: createMetrics({ clustered: workers > 1 }), clustered: workers > 1 }
      : undefined;
  // The emulator shares the data directory (its sealing key) and the database (its own tables).
  const extend = flags.awsEmulator
    ? async (app: FastifyInstance) => {
        const emulator = await createEmulator({
          dataDir: config.dataDir,
          database: config.database,
          sealingKey: process.env[SEALING_KEY_ENV],
          trustCaFiles: flags.trustCa ?? [],
          issuerAliases: aliases,
          clock: systemClock,
          ids: cryptoIds,
          ...(metrics ? { onOutcome: metrics.registry.stsOutcome } : {}),
          // The client gets InternalFailure and the request id; the cause stays in the server log.
          onInternalError: logEmulatorInternalError(logger),
        });
        await mountEmulator(app, emulator);
      }
    : undefined;

  if (cluster.isPrimary) {
    const issuer = await openIssuer(config);
    await bootstrap(issuer, config, (line) => process.stdout.write(line)).catch(async (e: Error) => {
      await issuer.close();
      throw isKeylessError(e) ? e : peerFailure(e.message, { cause: e });
    });
    // The emulator's sealing key is created once here, before workers could race to create it.
    if (flags.awsEmulator) loadOrCreateKey(config.dataDir, cryptoIds, process.env[SEALING_KEY_ENV]);
    if (workers === 1) await issuer.close();
    else {
      // Several processes on one port (node:cluster): the store is shared (SQLite WAL or PostgreSQL);
      // each worker writes its own mint records (server/cluster-audit.ts). The primary keeps the store
      // open to run the rotation schedule, so it survives any worker's replacement.
      // The primary also gathers the workers' metrics for whichever worker is scraped.
      if (flags.metrics !== false) serveClusterMetrics();
      const timer = setInterval(() => {
        issuer.service.signingKeys
          .maintainKeys()
          .catch((err) => logger.error({ err }, "key maintenance failed"));
      }, 60_000);
      timer.unref();
      superviseWorkers(workers, {
        onAllListening: (address) =>
          process.stdout.write(
            `keyless serve: listening on ${config.tlsCert ? "https" : "http"}://${config.host}:${address.port} with ${workers} workers (issuer ${config.issuerUrl})\n`,
          ),
        onWorkerFailed: (worker, code, signal, pid) =>
          logger.error({ worker, workerPid: pid, code, signal }, "worker exited; replacing it"),
        onGiveUp: (deaths, windowMs) =>
          logger.fatal({ deaths, windowMs }, "workers keep dying; giving up (exit 3)"),
        // Every worker has answered its in-flight requests, each after its own mint record committed.
        onDrained: async () => {
          clearInterval(timer);
          await issuer.close();
        },
      });
      return;
    }
  }

  const server = await startIssuerServer(config, {
    logger,
    ...(extend ? { extend } : {}),
    // In a cluster the primary runs the rotation schedule.
    maintainKeys: cluster.isPrimary,
    ...(cluster.isWorker ? { auditSink: workerAuditSink } : {}),
    ...(metrics ? { metrics } : {}),
  }).catch((e: Error & { code?: string }) => {
    throw isKeylessError(e) ? e : peerFailure(`cannot start: ${e.message}`, { cause: e });
  });
  if (cluster.isPrimary) {
    process.stdout.write(`keyless serve: listening on ${server.url} (issuer ${config.issuerUrl})\n`);
  }
  // Drain (Fastify's close(): no new connections, requests in progress answered), then exit. A worker
  // may get the signal twice (from its primary, and from a terminal's Ctrl-C to the process group).
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

export function register(program: Command): void {
  addStoreOptions(
    program
      .command("serve")
      .description("run the issuer (discovery, JWKS, token endpoint) and its admin API")
      .option("--host <host>", "address to listen on (KEYLESS_HOST)", undefined)
      .option("--port <port>", "port (KEYLESS_PORT; default 8080, 8443 with TLS)"),
  )
    .option("--issuer-url <url>", "the iss of this server's tokens (KEYLESS_ISSUER_URL)")
    .option("--public-url <url>", "where jobs reach this server, base of request URLs (KEYLESS_PUBLIC_URL)")
    .option("--tls-cert <file>", "PEM certificate for HTTPS (KEYLESS_TLS_CERT)")
    .option("--tls-key <file>", "PEM private key for HTTPS (KEYLESS_TLS_KEY)")
    .option("--signing-alg <alg>", "RS256 (default) or ES256 for new keys (KEYLESS_SIGNING_ALG)")
    .option("--key-overlap <duration>", "publication before use of a new key, e.g. 24h (KEYLESS_KEY_OVERLAP)")
    .option(
      "--key-rotation-interval <duration>",
      "scheduled rotation, e.g. 30d; 0 = off (KEYLESS_KEY_ROTATION_INTERVAL)",
    )
    .option("--workers <n>", "processes sharing the port (KEYLESS_WORKERS, default 1)")
    .option("--log-level <level>", "pino level (KEYLESS_LOG_LEVEL, default info)")
    .option(
      "--no-metrics",
      "do not serve GET /metrics (Prometheus, loopback peers only; see docs/operations.md)",
    )
    .option(
      "--token-rate-limit-per-run <n>",
      "token requests per window per run, per worker; 0 = none (KEYLESS_TOKEN_RATE_LIMIT_PER_RUN, default 120)",
    )
    .option(
      "--token-rate-limit-per-address <n>",
      "token requests per window per source address, per worker; 0 = none (KEYLESS_TOKEN_RATE_LIMIT_PER_ADDRESS, default 1200)",
    )
    .option(
      "--admin-rate-limit-per-key <n>",
      "admin API requests per window per API key, per worker; 0 = none (KEYLESS_ADMIN_RATE_LIMIT_PER_KEY, default 1200)",
    )
    .option(
      "--rate-limit-window <duration>",
      "window of the rate limits (KEYLESS_RATE_LIMIT_WINDOW, default 1m)",
    )
    .option("--aws-emulator", "also serve the AWS IAM+STS emulator on this server (POST /)")
    .option(
      "--trust-ca <file>",
      "with --aws-emulator: PEM CA trusted for identity providers (repeatable)",
      collect,
      [],
    )
    .option(
      "--issuer-alias <host=url>",
      "with --aws-emulator: fetch HOST's discovery and JWKS from URL (repeatable)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      "\nExamples:\n  keyless serve --issuer-url https://id.example.com --tls-cert cert.pem --tls-key key.pem\n  KEYLESS_DATABASE=postgres://keyless@db/keyless keyless serve --workers 2\n",
    )
    .action((flags: ServeFlags) => serve(flags));
}
