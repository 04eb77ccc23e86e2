import cluster from "node:cluster";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_ACCOUNT, DEFAULT_STATIC_SECRET } from "../../aws/credentials/credentials.js";
import { loadOrCreateKey, SEALING_KEY_ENV } from "../../aws/credentials/key-file.js";
import { createEmulator } from "../../aws/emulator.js";
import { iamMigrations } from "../../aws/iam/migrations.js";
import { isAccountId } from "../../core/aws/identifiers.js";
import { systemClock } from "../../lib/clock.js";
import { ensureDataDir } from "../../lib/data-dir.js";
import { inputError, unreachable } from "../../lib/errors.js";
import { cryptoIds } from "../../lib/ids.js";
import { superviseWorkers } from "../../server/cluster.js";
import { createLogger } from "../../server/logger.js";
import { createMetrics, serveClusterMetrics } from "../../server/metrics.js";
import { withMetricsEndpoint } from "../../server/metrics-http.js";
import { logEmulatorInternalError } from "../../server/mount-emulator.js";
import { databaseFailure, openDatabase } from "../../store/database.js";
import { registerEvents } from "./emulator-events.js";

interface Options {
  port: string;
  dataDir: string;
  host: string;
  trustCa: string[];
  issuerAlias: string[];
  account: string;
  staticSecret: string;
  workers: string;
  metrics: boolean;
  testMaxSessionSeconds?: string;
  database?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function parseAliases(values: readonly string[]): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const value of values) {
    const eq = value.indexOf("=");
    const host = value.slice(0, eq);
    const target = value.slice(eq + 1);
    let url: URL | undefined;
    try {
      url = new URL(target);
    } catch {
      url = undefined;
    }
    if (eq <= 0 || !url || url.protocol !== "https:") {
      throw inputError(`--issuer-alias ${value}: expected HOST=https://ADDRESS:PORT`);
    }
    aliases.set(host, target);
  }
  return aliases;
}

/**
 * `keyless emulator`: the AWS IAM + STS emulator on one HTTP endpoint. Served with node:http rather than
 * Fastify: the endpoint is a single route whose body is a form the wire layer parses itself, and the
 * benchmark's hot path gains nothing from a router; the handler is exported (`createEmulator().listener`,
 * `.handle`) so `keyless serve` can mount it under Fastify later. `--workers N` runs N processes on the
 * same port with node:cluster; they share the store (SQLite WAL) and the sealing key, so any worker
 * verifies any worker's session tokens.
 */
export function register(program: Command): void {
  const command = program
    .command("emulator")
    .description("run the AWS IAM + STS emulator (AWS Query protocol, SigV4, OIDC web identity)")
    // Checked in the action rather than as commander's required options, which would also be demanded
    // of the `events` subcommand.
    .option("--port <n>", "TCP port to listen on (required)")
    .option("--data-dir <dir>", "where the store (emulator.db) and the sealing key (emulator.key) live")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--trust-ca <file>", "PEM CA trusted for identity providers' HTTPS (repeatable)", collect, [])
    .option(
      "--issuer-alias <host=url>",
      "fetch HOST's discovery and JWKS from URL, e.g. id.example.com=https://127.0.0.1:8443 (repeatable)",
      collect,
      [],
    )
    .option(
      "--account <id>",
      "default account (static credentials: access key id = account id)",
      DEFAULT_ACCOUNT,
    )
    .option(
      "--static-secret <secret>",
      "secret access key of the static test credentials",
      DEFAULT_STATIC_SECRET,
    )
    .option("--workers <n>", "processes serving the port (node:cluster)", "1")
    .option(
      "--database <url>",
      "the store: a SQLite file or postgres://… (several emulator nodes share one PostgreSQL; give them one KEYLESS_EMULATOR_SEALING_KEY) (default: <data-dir>/emulator.db)",
    )
    .option(
      "--no-metrics",
      "do not serve GET /metrics (Prometheus, loopback peers only; see docs/operations.md)",
    )
    .option(
      "--test-max-session-seconds <n>",
      "TEST SETTING: issued credentials expire after at most N seconds, whatever DurationSeconds asks (to test refresh)",
    )
    .addHelpText(
      "after",
      `
Examples:
  keyless emulator --port 4566 --data-dir .keyless/emulator
  keyless emulator --port 4566 --data-dir d --trust-ca ca.pem --issuer-alias id.example.com=https://127.0.0.1:8443
  AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=test aws --endpoint-url http://127.0.0.1:4566 iam list-roles`,
    )
    .action(async (options: Options) => {
      for (const [name, value] of [
        ["--port <n>", options.port],
        ["--data-dir <dir>", options.dataDir],
      ] as const) {
        if (value === undefined) throw inputError(`required option '${name}' not specified`);
      }
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw inputError(`--port ${options.port}: expected 0-65535`);
      if (!isAccountId(options.account))
        throw inputError(`--account ${options.account}: expected a 12-digit account id`);
      const workers = Number(options.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 64)
        throw inputError(`--workers ${options.workers}: expected 1-64`);
      for (const file of options.trustCa)
        if (!existsSync(file)) throw inputError(`--trust-ca ${file}: no such file`);
      const aliases = parseAliases(options.issuerAlias);
      let testMaxSessionSeconds: number | undefined;
      if (options.testMaxSessionSeconds !== undefined) {
        testMaxSessionSeconds = Number(options.testMaxSessionSeconds);
        if (!Number.isInteger(testMaxSessionSeconds) || testMaxSessionSeconds < 1)
          throw inputError(
            `--test-max-session-seconds ${options.testMaxSessionSeconds}: expected a positive integer`,
          );
      }
      const dataDir = resolve(options.dataDir);
      ensureDataDir(dataDir);
      const database = options.database ?? join(dataDir, "emulator.db");
      // One line naming the database (its password hidden), as `keyless serve` says it.
      const failure = (error: unknown): never => {
        throw databaseFailure(error, database);
      };

      if (workers > 1 && cluster.isPrimary) {
        // Create the key and migrate once, before the workers race to do it.
        loadOrCreateKey(dataDir, cryptoIds, process.env[SEALING_KEY_ENV]);
        await (await openDatabase(database, iamMigrations).catch(failure)).close();
        if (options.metrics) serveClusterMetrics();
        superviseWorkers(workers, {
          onAllListening: () =>
            process.stdout.write(
              `keyless emulator listening on http://${options.host}:${port} (account ${options.account}, ${workers} workers)\n`,
            ),
          onWorkerFailed: (worker, code, signal, pid) =>
            process.stderr.write(
              `keyless emulator: worker ${worker} (pid ${pid}) exited (${signal || `code ${code}`}); replacing it\n`,
            ),
          onGiveUp: (deaths, windowMs) =>
            process.stderr.write(
              `keyless emulator: ${deaths} worker deaths within ${windowMs / 1000}s; giving up\n`,
            ),
        });
        return;
      }

      const logger = createLogger("info");
      const clustered = workers > 1;
      const metrics = options.metrics ? createMetrics({ clustered }) : undefined;
      const emulator = await createEmulator({
        dataDir,
        database,
        trustCaFiles: options.trustCa,
        issuerAliases: aliases,
        staticSecret: options.staticSecret,
        sealingKey: process.env[SEALING_KEY_ENV],
        defaultAccount: options.account,
        testMaxSessionSeconds,
        clock: systemClock,
        ids: cryptoIds,
        ...(metrics ? { onOutcome: metrics.stsOutcome } : {}),
        // The client gets InternalFailure and the request id; the cause goes to stderr, redacted.
        onInternalError: logEmulatorInternalError(logger),
      }).catch(failure);
      const listener = metrics
        ? withMetricsEndpoint(emulator.listener, metrics, clustered)
        : emulator.listener;
      const server = createServer({ keepAliveTimeout: 5000 }, listener);
      await new Promise<void>((ok, fail) => {
        server.once("error", (e: NodeJS.ErrnoException) =>
          fail(unreachable(`cannot listen on ${options.host}:${port}: ${e.code ?? e.message}`)),
        );
        server.listen(port, options.host, () => ok());
      });
      if (cluster.isPrimary)
        process.stdout.write(
          `keyless emulator listening on http://${options.host}:${port} (account ${options.account})\n`,
        );
      // Drain: stop accepting, let requests in progress finish (close() also ends idle keep-alive
      // connections, https://nodejs.org/api/http.html#serverclosecallback), then close the store.
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        const force = setTimeout(() => server.closeAllConnections(), 10_000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          void emulator.close().finally(() => process.exit(0));
        });
        server.closeIdleConnections();
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    });
  registerEvents(command);
}
