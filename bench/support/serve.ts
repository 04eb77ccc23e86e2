/**
 * What the issuer benchmarks share: `keyless serve` started in a throw-away data dir with its request
 * budgets off (they measure minting, not refusing), a keep-alive JSON client for the admin API, and one
 * seeded run (organization, project, environment) whose request URL and token the load is sent with.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { untilListening } from "./cluster-primary.js";

export type Call = (
  method: string,
  url: string,
  key?: string,
  body?: unknown,
) => Promise<{ status: number; json: Record<string, unknown> }>;

/** A JSON-over-HTTP client on `agent` (a keep-alive one, so the load reuses its connections). */
export function jsonClient(agent: Agent): Call {
  return (method, url, key, body) =>
    new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent,
          headers: {
            ...(key ? { authorization: `Bearer ${key}` } : {}),
            ...(body ? { "content-type": "application/json" } : {}),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => {
            text += d;
          });
          res.on("end", () => {
            try {
              resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} });
            } catch (e) {
              reject(e);
            }
          });
        },
      );
      req.on("error", reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
}

export interface BenchServer {
  readonly child: ChildProcess;
  readonly base: string;
  readonly adminKey: string;
  /** SIGTERM, wait for the exit, remove the data dir. */
  stop(): Promise<void>;
}

/**
 * `keyless serve` on a random loopback port with `args` (after `--port`) and `env` added to its
 * environment, ready when it says so.
 */
export async function startBenchServer(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), "keyless-bench-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const bin = fileURLToPath(new URL("../../../bin/keyless.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "serve", "--port", String(port), ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      KEYLESS_DATA_DIR: join(dir, "data"),
      KEYLESS_TOKEN_RATE_LIMIT_PER_RUN: "0",
      KEYLESS_TOKEN_RATE_LIMIT_PER_ADDRESS: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilListening(child, "serve");
  } catch (error) {
    await stop();
    throw error;
  }
  const adminKey = readFileSync(join(dir, "data", "admin-key"), "utf8").trim();
  return { child, base: `http://127.0.0.1:${port}`, adminKey, stop };
}

/** Organization `name` (audience sts.amazonaws.com), project infra, environment prod, an apply run. */
export async function seedRun(
  call: Call,
  server: Pick<BenchServer, "base" | "adminKey">,
  name: string,
  attributes?: Record<string, string>,
): Promise<{ requestUrl: string; requestToken: string }> {
  const { base, adminKey: admin } = server;
  const org = (
    await call("POST", `${base}/api/v1/organizations`, admin, {
      name,
      allowedAudiences: ["sts.amazonaws.com"],
    })
  ).json;
  const project = (
    await call("POST", `${base}/api/v1/organizations/${org.id}/projects`, admin, { name: "infra" })
  ).json;
  const env = (
    await call("POST", `${base}/api/v1/organizations/${org.id}/projects/${project.id}/environments`, admin, {
      name: "prod",
    })
  ).json;
  return (
    await call("POST", `${base}/api/v1/organizations/${org.id}/runs`, admin, {
      environmentId: env.id,
      phase: "apply",
      deployer: `${name}@example.com`,
      ...(attributes ? { attributes } : {}),
    })
  ).json as { requestUrl: string; requestToken: string };
}
