import type { AuditSink } from "../issuer/audit-batcher.js";

/**
 * With `--workers N`, each worker writes its own mint records on its own connection to the store and
 * answers 200 only once the batch holding that token's record has committed: the guarantee of a single
 * process, with nothing in between. On SQLite (WAL) the workers take turns on the database's single
 * write lock (`busy_timeout` makes a worker wait for it, https://www.sqlite.org/c3ref/busy_timeout.html);
 * on PostgreSQL each worker has its own pool anyway.
 *
 * Why not hand the records to the primary, which wrote them on one connection for every worker (the
 * design before this one): the hand-over cost more CPU than the lock waits it saved. Each batch went out
 * as a JSON IPC message and came back as an acknowledgement, and the primary parsed, re-batched and
 * wrote it; measured alternately with `npm run bench:issuer` (ES256, `--workers 2`, SQLite), the
 * workers writing their own records used 10–15 % less server CPU per mint at the same or a higher rate
 * (docs/performance.md). It also made every mint depend on the primary's event loop being scheduled.
 *
 * Each row records the minting worker's process id in `details.workerPid`, the `pid` of that worker's
 * log lines, so an operator can go from a token's audit row to the logs of the process that signed it.
 */
export function workerAuditSink(store: AuditSink, workerPid: number = process.pid): AuditSink {
  return {
    appendAudits: (entries) =>
      store.appendAudits(entries.map((e) => ({ ...e, details: { ...e.details, workerPid } }))),
  };
}
