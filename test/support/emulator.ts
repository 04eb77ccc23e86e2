import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KEYLESS_BIN, runCommand } from "./cli.js";
import { freePort } from "./ports.js";

/** A real `keyless emulator` process on its own port and data dir. */
export interface RunningEmulator {
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function startEmulator(
  dataDir: string,
  args: string[] = [],
  port?: number,
  env?: NodeJS.ProcessEnv,
): Promise<RunningEmulator> {
  const p = port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [KEYLESS_BIN, "emulator", "--port", String(p), "--data-dir", dataDir, ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      ...(env ? { env } : {}),
    },
  );
  let out = "";
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`emulator did not start: ${out}`)), 20_000);
    const check = (d: Buffer) => {
      out += d.toString();
      if (out.includes("listening on")) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`emulator exited ${code}: ${out}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${p}`,
    port: p,
    process: child,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once("exit", () => ok());
        child.kill("SIGTERM");
      }),
  };
}

/** A HOME with empty AWS config, and an environment scrubbed of the developer's AWS settings. */
export function isolatedEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = join(dir, "home");
  mkdirSync(join(home, ".aws"), { recursive: true });
  writeFileSync(join(home, ".aws", "config"), "");
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("AWS_") && !k.startsWith("TF_")) env[k] = v;
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, ".aws", "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
    ...extra,
  };
}

/**
 * The AWS CLI as the administrator of one emulated account (the static test credentials: access key id
 * = the account id, secret `test`), each account with its own isolated HOME under `dir`.
 */
export function awsAdmin(endpoint: string, dir: string, extra: NodeJS.ProcessEnv = {}) {
  return (account: string, args: string[]) =>
    runCommand("aws", ["--endpoint-url", endpoint, ...args], {
      env: isolatedEnv(join(dir, `admin-${account}`), {
        AWS_ACCESS_KEY_ID: account,
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_DEFAULT_REGION: "us-east-1",
        ...extra,
      }),
    });
}
