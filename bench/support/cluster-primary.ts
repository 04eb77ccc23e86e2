/**
 * The node:cluster primary shared by the benches' bare servers (bench/support/empty-route.ts,
 * bench/support/bare-sts.ts): forks `workers` copies of the calling script, prints
 * `listening on PORT` once every one of them listens (the bench waits for that line), and on
 * SIGTERM/SIGINT signals the workers and exits 0. Call only when `cluster.isPrimary`. The benches wait
 * for that line with `untilListening` below.
 */
import type { ChildProcess } from "node:child_process";
import cluster from "node:cluster";

export function runClusterPrimary(port: number, workers: number): void {
  let up = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("listening", () => {
    if (++up === workers) console.log(`listening on ${port}`);
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/**
 * Resolves once `child` prints `listening on` on its stdout (these bare servers, `keyless serve` and
 * `keyless emulator` all say so when every worker listens); rejects, naming `what`, if it exits first.
 * Its stdout must be a pipe.
 */
export function untilListening(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("listening on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`${what} exited ${code}`)));
  });
}
