import cluster, { type Address } from "node:cluster";

/**
 * The one supervisor for `serve --workers N` and `emulator --workers N`: N processes sharing one port
 * through node:cluster (the primary accepts and hands connections round-robin,
 * https://nodejs.org/api/cluster.html#how-it-works). The primary only forks, reports, and stops.
 */
export interface WorkerPoolHooks {
  /** Once every worker listens; `address` is the last one's (all share the port). */
  onAllListening(address: Address): void;
  /** A worker exited on its own (not asked to stop), with its exit code (non-zero) or signal. */
  onWorkerFailed(workerId: number, code: number, signal: string): void;
  /**
   * After SIGTERM/SIGINT is passed to the workers, exit the primary this many ms later even if a worker
   * lingers. Omitted: the primary ends when the last worker has.
   */
  readonly forceExitAfterMs?: number;
}

/**
 * In the cluster primary: forks `count` workers (each runs the same command and serves) and forwards
 * SIGTERM/SIGINT to them. Call only when `cluster.isPrimary`; the caller returns afterwards.
 */
export function superviseWorkers(count: number, hooks: WorkerPoolHooks): void {
  let listening = 0;
  let stopping = false;
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on("listening", (_worker, address) => {
    if (++listening === count) hooks.onAllListening(address);
  });
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping && code !== 0) hooks.onWorkerFailed(worker.id, code, signal);
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    if (hooks.forceExitAfterMs !== undefined)
      setTimeout(() => process.exit(0), hooks.forceExitAfterMs).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
