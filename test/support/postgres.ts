import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { tempDir } from "./tmp.js";

/**
 * A throwaway PostgreSQL server from the machine's own binaries (initdb, pg_ctl), for tests that run the
 * store suite on PostgreSQL. initdb refuses to run as root, so as root the server runs as `nobody`.
 * Returns undefined (and the caller skips, saying why) only when the binaries are not installed.
 */
export interface TestPostgres {
  readonly url: string;
  stop(): void;
}

function hasBinary(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

export async function startPostgres(): Promise<TestPostgres | undefined> {
  if (!hasBinary("initdb") || !hasBinary("pg_ctl")) return undefined;
  const dir = tempDir("keyless-pg-");
  const data = join(dir.path, "data");
  const sockets = join(dir.path, "sock");
  mkdirSync(sockets);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir.path, 0o777);
    chmodSync(sockets, 0o777);
  }
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "nobody", "--", cmd, ...args], { stdio: "pipe", cwd: dir.path })
      : execFileSync(cmd, args, { stdio: "pipe", cwd: dir.path });
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir.path, "log"), "-w", "start"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        dir.cleanup();
      }
    },
  };
}
