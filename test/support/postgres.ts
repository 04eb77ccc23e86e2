import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
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
  /** Stops the server for good and removes its files (the end of a test). */
  stop(): void;
  /**
   * `pg_ctl restart` (mode `fast`, as an operator runs it: sessions are terminated with 57P01), resolving
   * once the server accepts connections again; the event loop keeps running meanwhile.
   */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`, keeping the data: the database is down until `start()`. */
  halt(): Promise<void>;
  /** Starts the server again on the same port and data, resolving once it accepts connections. */
  start(): Promise<void>;
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
  const log = join(dir.path, "log");
  run("pg_ctl", ["-D", data, "-o", options, "-l", log, "-w", "start"]);
  const runAsync = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [cmd, argv] = asRoot ? ["runuser", ["-u", "nobody", "--", "pg_ctl", ...args]] : ["pg_ctl", args];
      execFile(cmd as string, argv as string[], { cwd: dir.path }, (error, _out, stderr) =>
        error ? reject(new Error(`pg_ctl ${args.at(-1)}: ${error.message}\n${stderr}`)) : resolve(),
      );
    });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => runAsync(["-D", data, "-o", options, "-l", log, "-m", "fast", "-w", "restart"]),
    halt: () => runAsync(["-D", data, "-m", "fast", "-w", "stop"]),
    start: () => runAsync(["-D", data, "-o", options, "-l", log, "-w", "start"]),
    stop: () => {
      try {
        // Already down after a `halt()` a test did not follow with `start()`: nothing to stop.
        if (existsSync(join(data, "postmaster.pid")))
          run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        dir.cleanup();
      }
    },
  };
}
