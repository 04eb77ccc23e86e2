import cluster, { type Worker } from "node:cluster";
import type { AuditSink } from "../issuer/audit-batcher.js";
import { AuditBatcher } from "../issuer/audit-batcher.js";
import type { AuditEntry } from "../issuer/model.js";
import { DatabaseUnavailableError } from "../store/unavailable.js";

/**
 * With `--workers N` on SQLite, every worker writing its own mint records makes the workers take turns
 * on SQLite's single write lock, and a worker that finds it taken sleeps (busy_timeout) with its event
 * loop blocked. So workers hand their mint records to the primary process, which group-commits them on its
 * own connection and acknowledges each batch; a worker returns a token only after that acknowledgement,
 * the same guarantee as writing it itself.
 */
interface AuditMessage {
  readonly type: "keyless-audit";
  readonly id: number;
  readonly entries: readonly AuditEntry[];
}
interface AuditAck {
  readonly type: "keyless-audit-ack";
  readonly id: number;
  readonly error?: string;
  /** The primary's store was unavailable (an outage, answered 503), not failing. */
  readonly unavailable?: boolean;
}

/** In a worker: a sink that sends batches to the primary and waits for its acknowledgement. */
export function primaryAuditSink(): AuditSink {
  let next = 0;
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  process.on("message", (message: AuditAck) => {
    if (message?.type !== "keyless-audit-ack") return;
    const w = waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id);
    if (message.unavailable) w.reject(new DatabaseUnavailableError(`audit write failed: ${message.error}`));
    else if (message.error) w.reject(new Error(`audit write failed: ${message.error}`));
    else w.resolve();
  });
  return {
    // Batches are sent without waiting for the previous acknowledgement; the primary writes them in order.
    concurrent: true,
    appendAudits: (entries) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        process.send!({ type: "keyless-audit", id, entries } satisfies AuditMessage);
      }),
  };
}

/**
 * In the primary: writes the workers' batches (group-committed across workers too). Each row records the
 * minting worker's process id in `details.workerPid`, the `pid` of that worker's log lines, so an
 * operator can go from a token's audit row to the logs of the process that signed it.
 */
export function serveWorkerAudits(store: AuditSink): void {
  const batcher = new AuditBatcher(store);
  cluster.on("message", (worker: Worker, message: AuditMessage) => {
    if (message?.type !== "keyless-audit") return;
    const workerPid = worker.process.pid;
    Promise.all(
      message.entries.map((e) => batcher.append({ ...e, details: { ...e.details, workerPid } })),
    ).then(
      () => worker.send({ type: "keyless-audit-ack", id: message.id } satisfies AuditAck),
      (e: Error) =>
        worker.send({
          type: "keyless-audit-ack",
          id: message.id,
          error: e.message,
          unavailable: e instanceof DatabaseUnavailableError,
        } satisfies AuditAck),
    );
  });
}
