import cluster, { type Address, type Worker } from "node:cluster";
import { EXIT_STATUS } from "../lib/errors.js";

/**
 * The one supervisor for `serve --workers N` and `emulator --workers N`: N processes sharing one port
 * through node:cluster (the primary accepts and hands connections round-robin,
 * https://nodejs.org/api/cluster.html#how-it-works). The primary forks, replaces workers that die,
 * gives up (non-zero exit) when they keep dying, and drains on SIGTERM/SIGINT.
 *
 * Why exit non-zero when giving up: a supervisor above (systemd's `Restart=on-failure`,
 * https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html#Restart=, or a container
 * restart policy) restarts only a process that failed; a primary left serving with no workers, or one
 * ending with 0, would never be restarted.
 */
export interface WorkerPoolHooks {
  /** Once every first-generation worker listens; `address` is the last one's (all share the port). */
  onAllListening(address: Address): void;
  /** A worker exited without being asked to stop (code, or signal such as SIGKILL). */
  onWorkerFailed(workerId: number, code: number, signal: string, pid: number): void;
  /** A replacement for a dead worker is forked after `delayMs`. */
  onRespawn?(delayMs: number): void;
  /**
   * Workers died `deaths` times within the window: the primary stops the others and exits with
   * `giveUpExitCode`. Called first, e.g. to log why.
   */
  onGiveUp?(deaths: number, windowMs: number): void;
  /**
   * After SIGTERM/SIGINT, once every worker has exited (each one finished its in-flight requests): the
   * primary's own clean-up (flush the audit batch it writes for the workers, close the store), awaited
   * before the primary exits 0.
   */
  onDrained?(): Promise<void>;
  /**
   * After SIGTERM/SIGINT, a worker still running this many ms later is killed (SIGKILL) and the primary
   * exits 1: a drain that cannot finish is a failure. Default 30 s (systemd's default stop timeout is 90 s).
   */
  readonly drainTimeoutMs?: number;
}

/** How replacements are paced; the defaults suit production (tests drive them with real kills). */
export interface RespawnPolicy {
  /** First replacement delay (ms); doubled for each death in a row, up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A worker that stayed up this long resets the delay to `initialDelayMs`. */
  readonly stableAfterMs: number;
  /** More than `maxDeaths` deaths within `windowMs`: give up. */
  readonly maxDeaths: number;
  readonly windowMs: number;
  /** Exit status when giving up: 3, keyless' "failure outside keyless" (README, exit status). */
  readonly giveUpExitCode: number;
}

export const DEFAULT_RESPAWN: RespawnPolicy = {
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  stableAfterMs: 30_000,
  maxDeaths: 5,
  windowMs: 60_000,
  giveUpExitCode: EXIT_STATUS.outside,
};

/**
 * In the cluster primary: forks `count` workers (each runs the same command and serves), replaces a
 * dead one after an exponential backoff, exits `giveUpExitCode` after too many deaths in the window, and
 * on SIGTERM/SIGINT asks each worker to drain, waits for them, runs `onDrained`, and exits 0. Call only
 * when `cluster.isPrimary`; the caller returns afterwards.
 */
export function superviseWorkers(
  count: number,
  hooks: WorkerPoolHooks,
  policy: RespawnPolicy = DEFAULT_RESPAWN,
): void {
  let listening = 0;
  let announced = false;
  let stopping = false;
  let givingUp = false;
  let consecutive = 0;
  const deaths: number[] = [];
  const startedAt = new Map<number, number>();
  const pending = new Set<NodeJS.Timeout>();

  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
  };
  // Tracked here rather than read from cluster.workers, which drops a worker only once its IPC channel
  // has closed too (possibly after its 'exit' event).
  const live = (): Worker[] =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && startedAt.has(w.id));
  // Signal the process itself, not `worker.kill()`: that disconnects the IPC channel first
  // (https://nodejs.org/api/cluster.html#workerkillsignal), and a draining worker still needs it to
  // have its last mint records written by the primary (server/cluster-audit.ts).
  const signal = (worker: Worker, sig: NodeJS.Signals) => {
    try {
      worker.process.kill(sig);
    } catch {
      // Already gone.
    }
  };

  for (let i = 0; i < count; i++) fork();
  cluster.on("listening", (_worker, address) => {
    if (!announced && ++listening === count) {
      announced = true;
      hooks.onAllListening(address);
    }
  });
  cluster.on("exit", (worker, code, sig) => {
    const started = startedAt.get(worker.id) ?? Date.now();
    startedAt.delete(worker.id);
    if (givingUp) {
      if (live().length === 0) process.exit(policy.giveUpExitCode);
      return;
    }
    if (stopping) {
      if (live().length === 0) void finishDrain();
      return;
    }
    hooks.onWorkerFailed(worker.id, code, sig, worker.process.pid ?? 0);
    const now = Date.now();
    if (now - started >= policy.stableAfterMs) consecutive = 0;
    deaths.push(now);
    while (deaths.length > 0 && deaths[0]! <= now - policy.windowMs) deaths.shift();
    if (deaths.length > policy.maxDeaths) {
      stopping = givingUp = true;
      hooks.onGiveUp?.(deaths.length, policy.windowMs);
      for (const t of pending) clearTimeout(t);
      for (const w of live()) signal(w, "SIGTERM");
      // The others are asked to drain; the primary does not wait long for a pool that is failing.
      setTimeout(() => process.exit(policy.giveUpExitCode), 5000).unref();
      if (live().length === 0) process.exit(policy.giveUpExitCode);
      return;
    }
    const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** consecutive);
    consecutive++;
    hooks.onRespawn?.(delay);
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!stopping) fork();
    }, delay);
    pending.add(timer);
  });

  let drained = false;
  const finishDrain = async () => {
    if (drained) return;
    drained = true;
    try {
      await hooks.onDrained?.();
      process.exit(0);
    } catch {
      process.exit(1);
    }
  };
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const t of pending) clearTimeout(t);
    const workers = live();
    if (workers.length === 0) return void finishDrain();
    for (const w of workers) signal(w, "SIGTERM");
    setTimeout(() => {
      for (const w of live()) signal(w, "SIGKILL");
      process.exit(1);
    }, hooks.drainTimeoutMs ?? 30_000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
