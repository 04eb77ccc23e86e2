import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningEmulator, startEmulator } from "./emulator.js";
import { startTestIssuer, type TestIssuer } from "./oidc-issuer.js";
import { freePort } from "./ports.js";
import { httpsJson, type ServeProcess, startServe } from "./serve.js";
import { makeTestTls, type TestTls } from "./tls.js";

/**
 * `keyless serve` over HTTPS (the project's local CA, ./tls.ts) and a `keyless emulator` that trusts
 * that CA and fetches the issuer's discovery and JWKS through `--issuer-alias`: the whole chain with
 * real processes, as the e2e tests of the issuer → STS path use it.
 */
export interface IssuerWithEmulator {
  readonly tls: TestTls;
  /** `https://127.0.0.1:PORT`: where the issuer listens (admin API, token endpoint, discovery). */
  readonly serveUrl: string;
  /** The bootstrap admin key `keyless serve` wrote to `<dir>/issuer/admin-key`. */
  readonly adminKey: string;
  readonly server: ServeProcess;
  readonly emulator: RunningEmulator;
  /**
   * The admin API as the administrator: JSON in, JSON out; asserts a 2xx status (the message names the
   * call and the problem document).
   */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of JSON answers.
  api(method: string, path: string, body?: unknown): Promise<any>;
  /** Stops both processes (the caller still removes `dir`). */
  stop(): Promise<void>;
}

export interface IssuerWithEmulatorOptions {
  /** The issuer URL tokens carry in `iss`; default the serve URL itself. */
  readonly issuerUrl?: string;
  /** Hosts the emulator fetches from this issuer (`--issuer-alias HOST=<serve URL>`), e.g. `login.app.env0.com`. */
  readonly aliases?: readonly string[];
  /** More `keyless emulator` arguments (another `--issuer-alias`, `--account`, …). */
  readonly emulatorArgs?: readonly string[];
  /** More environment for `keyless serve` (e.g. `KEYLESS_SIGNER` and the AWS SDK's variables). */
  readonly serveEnv?: NodeJS.ProcessEnv;
}

/**
 * Starts both in `dir` (the test's own directory): certificates in `dir`, the issuer's data dir
 * `dir/issuer` (HOME is `dir`), the emulator's `dir/emulator`, each on a free port.
 */
export async function startIssuerWithEmulator(
  dir: string,
  options: IssuerWithEmulatorOptions = {},
): Promise<IssuerWithEmulator> {
  const tls = await makeTestTls(dir);
  const port = await freePort();
  const serveUrl = `https://127.0.0.1:${port}`;
  const dataDir = join(dir, "issuer");
  const server = await startServe(
    [
      "--port",
      String(port),
      "--issuer-url",
      options.issuerUrl ?? serveUrl,
      "--tls-cert",
      tls.certFile,
      "--tls-key",
      tls.keyFile,
    ],
    { PATH: process.env.PATH, HOME: dir, KEYLESS_DATA_DIR: dataDir, ...options.serveEnv },
  );
  const adminKey = readFileSync(join(dataDir, "admin-key"), "utf8").trim();
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator(join(dir, "emulator"), [
      "--trust-ca",
      tls.caFile,
      ...(options.aliases ?? []).flatMap((host) => ["--issuer-alias", `${host}=${serveUrl}`]),
      ...(options.emulatorArgs ?? []),
    ]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    tls,
    serveUrl,
    adminKey,
    server,
    emulator,
    async api(method, path, body) {
      const r = await httpsJson(method, `${serveUrl}${path}`, {
        ca: tls.ca,
        key: adminKey,
        ...(body !== undefined ? { body } : {}),
      });
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json;
    },
    async stop() {
      await server.stop();
      await emulator.stop();
    },
  };
}

/** The test OIDC issuer (./oidc-issuer.ts) and a `keyless emulator` that trusts it. */
export interface TestIssuerWithEmulator {
  readonly issuer: TestIssuer;
  readonly emulator: RunningEmulator;
  /** Stops both (the caller still removes `dir`). */
  stop(): Promise<void>;
}

/**
 * Starts the test OIDC issuer in `dir/ca` and an emulator on `dir/data` that trusts its CA. With
 * `issuer` (a public URL such as `https://token.actions.githubusercontent.com`), tokens carry it in
 * `iss` and the emulator fetches that host's discovery and JWKS from the test issuer (`--issuer-alias`);
 * without it, the issuer is its own `https://127.0.0.1:PORT`.
 */
export async function startTestIssuerWithEmulator(
  dir: string,
  options: { issuer?: string; emulatorArgs?: readonly string[] } = {},
): Promise<TestIssuerWithEmulator> {
  mkdirSync(join(dir, "ca"), { recursive: true });
  const issuer = await startTestIssuer(join(dir, "ca"), options.issuer ? { issuer: options.issuer } : {});
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator(join(dir, "data"), [
      "--trust-ca",
      issuer.caFile,
      ...(options.issuer ? ["--issuer-alias", `${new URL(options.issuer).host}=${issuer.localUrl}`] : []),
      ...(options.emulatorArgs ?? []),
    ]);
  } catch (error) {
    await issuer.close();
    throw error;
  }
  return {
    issuer,
    emulator,
    async stop() {
      await emulator.stop();
      await issuer.close();
    },
  };
}

/** `keyless serve --aws-emulator` as startServeWithOwnEmulator starts it. */
export interface ServeWithOwnEmulator {
  readonly tls: TestTls;
  /** `https://127.0.0.1:PORT`: the issuer's routes, the admin API and the emulator's AWS endpoint. */
  readonly base: string;
  readonly server: ServeProcess;
  /** The bootstrap admin key `keyless serve` wrote to `<dir>/data/admin-key`. */
  readonly adminKey: string;
}

/**
 * One `keyless serve --aws-emulator` over HTTPS (certificates from ./tls.ts in `dir`; data directory
 * `dir/data`, HOME `dir`) whose tokens carry `iss` `https://<issuerHost>` and whose emulator fetches that
 * issuer's discovery and JWKS from this same server (`--issuer-alias`, trusting the test CA): issuer and
 * emulator on one port. `args` come last (e.g. `--log-level info`).
 */
export async function startServeWithOwnEmulator(
  dir: string,
  issuerHost: string,
  args: readonly string[] = [],
): Promise<ServeWithOwnEmulator> {
  const tls = await makeTestTls(dir);
  const port = await freePort();
  const base = `https://127.0.0.1:${port}`;
  const server = await startServe(
    [
      "--port",
      String(port),
      "--issuer-url",
      `https://${issuerHost}`,
      "--tls-cert",
      tls.certFile,
      "--tls-key",
      tls.keyFile,
      "--aws-emulator",
      "--trust-ca",
      tls.caFile,
      "--issuer-alias",
      `${issuerHost}=${base}`,
      ...args,
    ],
    { PATH: process.env.PATH, HOME: dir, KEYLESS_DATA_DIR: join(dir, "data") },
  );
  const adminKey = readFileSync(join(dir, "data", "admin-key"), "utf8").trim();
  return { tls, base, server, adminKey };
}
