import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request } from "node:https";
import { join } from "node:path";
import { KEYLESS_BIN, type RunResult, runCommand } from "./cli.js";
import type { Json } from "./issuer.js";
import { freePort } from "./ports.js";

/** `keyless serve` as a real process, as an operator starts it; resolves once it says it is listening. */
export interface ServeProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

export function startServe(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [KEYLESS_BIN, "serve", ...args], {
    // Request budgets off unless the test sets them (flags or env): load and fault tests mint in loops;
    // the limits themselves are tested in rate-limits.test.ts.
    env: {
      KEYLESS_TOKEN_RATE_LIMIT_PER_RUN: "0",
      KEYLESS_TOKEN_RATE_LIMIT_PER_ADDRESS: "0",
      KEYLESS_ADMIN_RATE_LIMIT_PER_KEY: "0",
      // `npm run coverage` (c8) collects the server's coverage too, whatever environment the test gives it.
      NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const handle: ServeProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        // A child killed by a signal has exitCode null and signalCode set: it has exited all the same.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`keyless serve did not start:\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (/listening on/.test(out)) {
        clearTimeout(timer);
        resolve(handle);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`keyless serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/**
 * `keyless serve --port PORT ARGS…` as a test runs it in its own directory `dir`: HOME `dir`, data
 * directory `dir/data`, PATH inherited, `env` on top (resolves as startServe does).
 */
export function startServeIn(
  dir: string,
  port: number,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ServeProcess> {
  return startServe(["--port", String(port), ...args], {
    PATH: process.env.PATH,
    HOME: dir,
    KEYLESS_DATA_DIR: join(dir, "data"),
    ...env,
  });
}

/**
 * startServeIn on a free port, plain HTTP, then seedApplyRunOverHttp with the bootstrap admin key
 * (`dir/data/admin-key`): the server, where it listens, the key, and the seeded run.
 */
export async function startSeededServe(
  dir: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
  seed: SeedOptions = {},
): Promise<
  { server: ServeProcess; port: number; base: string; admin: string } & Awaited<
    ReturnType<typeof seedApplyRunOverHttp>
  >
> {
  const port = await freePort();
  const server = await startServeIn(dir, port, args, env);
  const base = `http://127.0.0.1:${port}`;
  const admin = readFileSync(join(dir, "data", "admin-key"), "utf8").trim();
  try {
    return { server, port, base, admin, ...(await seedApplyRunOverHttp(base, admin, seed)) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * Several `keyless serve` processes on one database, one for each key of `args` (in order): `env` carries
 * what they share (KEYLESS_DATABASE, KEYLESS_KEK, HOME, PATH), each gets data directory `dir/<name>`, a
 * free port and `--port PORT ARGS…`. Each is pushed onto `servers` as it starts, so the caller's `after`
 * stops it even if a later one fails. Returns their base URLs (plain HTTP, in order) and the bootstrap
 * admin key the first one wrote.
 */
export async function startServesOnOneDatabase(
  dir: string,
  env: NodeJS.ProcessEnv,
  args: Record<string, readonly string[]>,
  servers: ServeProcess[],
): Promise<{ bases: string[]; admin: string }> {
  const bases: string[] = [];
  for (const [name, more] of Object.entries(args)) {
    const port = await freePort();
    servers.push(
      await startServe(["--port", String(port), ...more], { ...env, KEYLESS_DATA_DIR: join(dir, name) }),
    );
    bases.push(`http://127.0.0.1:${port}`);
  }
  const first = Object.keys(args)[0]!;
  return { bases, admin: readFileSync(join(dir, first, "admin-key"), "utf8").trim() };
}

/**
 * One plain-HTTP request on its own connection (no keep-alive pool), JSON in and out, with `key` as
 * bearer: a killed server (or worker) fails only the requests in flight on it, never a later one through
 * a pooled connection it had accepted. Rejects on a reset, a refused connection, a body cut short, or no
 * answer within 15 s (a connection a killed worker had accepted may never be answered: a client gives up
 * on it, as the runner's SDKs do, and it counts as failed, never as a 200).
 */
export function callOnOwnConnection(
  base: string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          text += d;
        });
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
          } catch (e) {
            reject(e); // a body cut short by a kill
          }
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error("no answer")));
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/**
 * The organization's `token.mint` audit rows (one page, up to 1000), read with callOnOwnConnection;
 * asserts a 200. Each row's details carry the token's `jti` and, under `--workers`, the `workerPid`.
 */
export async function mintAuditRows(
  base: string,
  org: string,
  adminKey: string,
): Promise<{ details: { jti: string; workerPid?: number } }[]> {
  const r = await callOnOwnConnection(
    base,
    "GET",
    `/api/v1/organizations/${org}/audit?action=token.mint&limit=1000`,
    adminKey,
  );
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.entries;
}

/** The pids of a process's children (the cluster workers of `serve --workers N`); none: []. */
export function childPids(pid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}

/** JSON over HTTPS trusting one CA (the admin API as a controller calls it). */
export function httpsJson(
  method: string,
  url: string,
  options: { ca: Buffer; key?: string; body?: unknown },
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of JSON answers.
): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: options.ca,
        headers: {
          ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
          ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          body += d;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            json: body ? JSON.parse(body) : undefined,
            headers: res.headers,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body !== undefined ? JSON.stringify(options.body) : undefined);
  });
}

/**
 * What a job does to get its ID token, with curl: GET the run's request URL (plus `&audience=` when
 * given) with its request token as bearer, trusting `caFile`; `--fail-with-body` so an error status is a
 * non-zero exit. The answer's body is `{"value": "<jwt>"}`.
 */
export function curlRunToken(
  run: { readonly requestUrl: string; readonly requestToken: string },
  caFile: string,
  audience?: string,
): Promise<RunResult> {
  const url = audience ? `${run.requestUrl}&audience=${encodeURIComponent(audience)}` : run.requestUrl;
  return runCommand("curl", [
    "-sS",
    "--fail-with-body",
    "--cacert",
    caFile,
    "-H",
    `Authorization: bearer ${run.requestToken}`,
    url,
  ]);
}

/** What `seedApplyRunOverHttp` makes besides its defaults; every field optional. */
export interface SeedOptions {
  /** With `base` `https://` (a server with the test's own TLS), the CA to trust; without, `base` is `http://`. */
  readonly ca?: Buffer;
  /** The organization's body (default `{ name: "acme", allowedAudiences: ["sts.amazonaws.com"] }`). */
  readonly organization?: Record<string, unknown>;
  /** The project's and the environment's names (default `infra`, `prod`). */
  readonly project?: string;
  readonly environment?: string;
  /** The runs' phase (default `apply`), deployer (default `x`) and attributes (default none). */
  readonly phase?: string;
  readonly deployer?: string;
  readonly attributes?: Record<string, string>;
}

/** A run as the admin API answers its creation: the job's request URL and token, and the run record. */
export interface StartedRun {
  readonly requestUrl: string;
  readonly requestToken: string;
  /** The token endpoint's path and query for audience sts.amazonaws.com (to GET with the request token). */
  readonly tokenPath: string;
  /** The run record (`id`, `status`, `environmentId`, …). */
  // biome-ignore lint/suspicious/noExplicitAny: the admin API's run JSON, read field by field by tests.
  readonly run: any;
}

/**
 * Over the admin API of a running `keyless serve` at `base`: organization `acme` (audience
 * sts.amazonaws.com), project `infra`, environment `prod` and an apply run, as a CI controller makes them
 * (each creation must answer 201). Returns the run's request token and the token endpoint's path for that
 * audience, the ids made, and `startRun` for more runs in that environment (options.phase changes the phase).
 */
export async function seedApplyRunOverHttp(
  base: string,
  adminKey: string,
  options: SeedOptions = {},
): Promise<
  StartedRun & {
    orgId: string;
    projectId: string;
    environmentId: string;
    startRun(attributes?: Record<string, string>): Promise<StartedRun>;
  }
> {
  // biome-ignore lint/suspicious/noExplicitAny: the admin API's JSON, read field by field below.
  const post = async (path: string, body: unknown): Promise<any> => {
    const r =
      options.ca !== undefined
        ? await httpsJson("POST", `${base}${path}`, { ca: options.ca, key: adminKey, body })
        : await callOnOwnConnection(base, "POST", path, adminKey, body);
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  const org = await post(
    "/api/v1/organizations",
    options.organization ?? { name: "acme", allowedAudiences: ["sts.amazonaws.com"] },
  );
  const project = await post(`/api/v1/organizations/${org.id}/projects`, {
    name: options.project ?? "infra",
  });
  const env = await post(`/api/v1/organizations/${org.id}/projects/${project.id}/environments`, {
    name: options.environment ?? "prod",
  });
  const startRun = async (attributes = options.attributes): Promise<StartedRun> => {
    const created = await post(`/api/v1/organizations/${org.id}/runs`, {
      environmentId: env.id,
      phase: options.phase ?? "apply",
      deployer: options.deployer ?? "x",
      ...(attributes !== undefined ? { attributes } : {}),
    });
    const url = new URL(created.requestUrl as string);
    return {
      requestUrl: created.requestUrl,
      requestToken: created.requestToken,
      tokenPath: `${url.pathname}${url.search}&audience=sts.amazonaws.com`,
      run: created.run,
    };
  };
  return { ...(await startRun()), orgId: org.id, projectId: project.id, environmentId: env.id, startRun };
}
