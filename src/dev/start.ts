import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { eventLine } from "../aws/authz/decision-log.js";
import { createEmulator, type Emulator } from "../aws/emulator.js";
import { OPERATOR } from "../issuer/authz.js";
import { systemClock } from "../lib/clock.js";
import { errorKind } from "../lib/errors.js";
import { cryptoIds } from "../lib/ids.js";
import { writeSecretFile } from "../lib/secret-file.js";
import type { ServeConfig } from "../server/config.js";
import { NO_RATE_LIMITS } from "../server/rate-limits.js";
import {
  ADMIN_KEY_FILE,
  bootstrap,
  openIssuer,
  type RunningServer,
  startIssuerServer,
} from "../server/serve.js";
import { DEMO, type DemoRun, demoChainRoleArn, demoRoleArn, seedEmulator, seedIssuer } from "./demo.js";
import { ensureLocalCa } from "./local-ca.js";

/**
 * `keyless dev`: the issuer over HTTPS (with a local CA) and the AWS emulator, in one process, on
 * loopback, with the embedded SQLite store, seeded with the demo, and `dev.json` written for scripts.
 */
export interface DevOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly issuerPort: number;
  readonly awsPort: number;
  /** Test setting passed to the emulator: sessions end after at most this many seconds. */
  readonly testMaxSessionSeconds?: number;
}

/** What scripts read from `<data-dir>/dev.json` (0600: it holds the admin key and the run's request token). */
export interface DevInfo {
  readonly issuerUrl: string;
  readonly awsEndpoint: string;
  readonly region: string;
  readonly caFile: string;
  readonly adminKey: string;
  /** The file holding `adminKey` (0600), for `KEYLESS_API_KEY="$(cat …)"`. */
  readonly adminKeyFile: string;
  readonly roleArn: string;
  readonly chainRoleArn: string;
  readonly refusedRoleArn: string;
  readonly requestUrl: string;
  readonly requestToken: string;
  readonly toolingAccount: string;
  readonly workloadAccount: string;
  readonly dataDir: string;
}

export interface RunningDev {
  readonly info: DevInfo;
  /**
   * A sign-in link for the web console carrying a fresh one-time code (five minutes, one use) that
   * stands for the admin key: the key itself never goes into a URL. The code is in the fragment, which
   * browsers never send to the server (so it is in no access log either).
   */
  consoleSignInLink(): Promise<string>;
  close(): Promise<void>;
}

export class DevStartError extends errorKind("ERR_DEV_START", "input") {}

export async function startDev(options: DevOptions): Promise<RunningDev> {
  const dataDir = resolve(options.dataDir);
  const urlHost = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  const hosts = [...new Set([options.host, "127.0.0.1", "localhost"])];
  const ca = await ensureLocalCa(join(dataDir, "tls"), hosts);
  const issuerUrl = `https://${urlHost}:${options.issuerPort}`;
  const config: ServeConfig = {
    host: options.host,
    port: options.issuerPort,
    issuerUrl,
    publicUrl: issuerUrl,
    dataDir: join(dataDir, "issuer"),
    database: join(dataDir, "issuer", "keyless.db"),
    tlsCert: ca.certFile,
    tlsKey: ca.keyFile,
    kek: undefined,
    signingAlgorithm: "RS256",
    signer: "local",
    kmsKeyIds: undefined,
    keyOverlapSeconds: 24 * 3600,
    keyRotationIntervalSeconds: 0,
    maxTokenLifetimeSeconds: 3600,
    wellKnownMaxAgeSeconds: 300,
    logLevel: "warn",
    workers: 1,
    // No request budgets on a developer's machine: scripts and tests loop as fast as they like.
    rateLimits: NO_RATE_LIMITS,
  };

  let issuer: RunningServer | undefined;
  let emulator: Emulator | undefined;
  let awsServer: Server | undefined;
  const close = async () => {
    await new Promise<void>((done) => (awsServer ? awsServer.close(() => done()) : done()));
    await emulator?.close();
    await issuer?.close();
  };
  try {
    const { adminKey, run } = await prepareIssuer(config);
    issuer = await listening(`--issuer-port ${options.issuerPort}`, () =>
      startIssuerServer(config, { maintainKeys: true }),
    );
    emulator = await createEmulator({
      dataDir: join(dataDir, "aws"),
      trustCaFiles: [ca.caFile],
      clock: systemClock,
      ids: cryptoIds,
      // One line per refused call, with the event id `keyless explain --event` takes.
      onDecision: (event) => {
        if (event.errorCode === "AccessDenied")
          process.stdout.write(`keyless dev: refused ${eventLine(event)}\n`);
      },
      ...(options.testMaxSessionSeconds !== undefined
        ? { testMaxSessionSeconds: options.testMaxSessionSeconds }
        : {}),
    });
    const listener = emulator.listener;
    awsServer = await listening(
      `--aws-port ${options.awsPort}`,
      () =>
        new Promise<Server>((ok, fail) => {
          const server = createServer(listener);
          server.once("error", fail);
          server.listen(options.awsPort, options.host, () => ok(server));
        }),
    );
    const awsEndpoint = `http://${urlHost}:${options.awsPort}`;
    await seedEmulator(awsEndpoint, issuerUrl);
    issuer.consoleEmulator.connect(awsEndpoint, [DEMO.toolingAccount, DEMO.workloadAccount]);
    const info: DevInfo = {
      issuerUrl,
      awsEndpoint,
      region: DEMO.region,
      caFile: ca.caFile,
      adminKey,
      adminKeyFile: join(config.dataDir, ADMIN_KEY_FILE),
      roleArn: demoRoleArn("staging"),
      chainRoleArn: demoChainRoleArn(),
      refusedRoleArn: demoRoleArn("production"),
      requestUrl: run.requestUrl,
      requestToken: run.requestToken,
      toolingAccount: DEMO.toolingAccount,
      workloadAccount: DEMO.workloadAccount,
      dataDir,
    };
    writeSecretFile(join(dataDir, "dev.json"), `${JSON.stringify(info, null, 2)}\n`);
    const running = issuer;
    return {
      info,
      close,
      consoleSignInLink: async () =>
        `${issuerUrl}/console/#code=${await running.console.issueCode(adminKey)}`,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/** First start: signing key and admin key; every start: the demo model and a fresh demo run. */
async function prepareIssuer(config: ServeConfig): Promise<{ adminKey: string; run: DemoRun }> {
  const opened = await openIssuer(config);
  try {
    await bootstrap(opened, config, () => {});
    const file = join(config.dataDir, ADMIN_KEY_FILE);
    let adminKey = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
    if (!adminKey) {
      // The saved key was removed: make another rather than leave dev.json without one.
      adminKey = (
        await opened.service.apiKeys.createApiKey(OPERATOR, { name: "keyless dev", scope: { kind: "admin" } })
      ).secret;
      writeSecretFile(file, `${adminKey}\n`);
    }
    return { adminKey, run: await seedIssuer(opened.service, OPERATOR) };
  } finally {
    await opened.close();
  }
}

/** Starts a listener, turning "port in use" into a sentence that names the flag to change. */
async function listening<T>(flag: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new DevStartError(
        `the port of ${flag} is in use: stop what holds it or choose another with ${flag.split(" ")[0]}`,
      );
    if (code === "EADDRNOTAVAIL")
      throw new DevStartError(`cannot listen on that --host: ${(error as Error).message}`);
    throw error;
  }
}
