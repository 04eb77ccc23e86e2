import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:https";
import { KEYLESS_BIN, type RunResult, runCommand } from "./cli.js";

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

/**
 * Over the admin API of a running `keyless serve` at `base`: organization `acme` (audience
 * sts.amazonaws.com), project `infra`, environment `prod` and an apply run, as a CI controller makes them.
 * Returns the run's request token and the token endpoint's path for that audience.
 */
export async function seedApplyRunOverHttp(
  base: string,
  adminKey: string,
): Promise<{ requestUrl: string; requestToken: string; tokenPath: string }> {
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (r.status !== 201 && r.status !== 200) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
    // biome-ignore lint/suspicious/noExplicitAny: the admin API's JSON, read field by field below.
    return (await r.json()) as any;
  };
  const org = await post("/api/v1/organizations", { name: "acme", allowedAudiences: ["sts.amazonaws.com"] });
  const project = await post(`/api/v1/organizations/${org.id}/projects`, { name: "infra" });
  const env = await post(`/api/v1/organizations/${org.id}/projects/${project.id}/environments`, {
    name: "prod",
  });
  const run = await post(`/api/v1/organizations/${org.id}/runs`, {
    environmentId: env.id,
    phase: "apply",
    deployer: "x",
  });
  const url = new URL(run.requestUrl as string);
  return {
    requestUrl: run.requestUrl,
    requestToken: run.requestToken,
    tokenPath: `${url.pathname}${url.search}&audience=sts.amazonaws.com`,
  };
}
