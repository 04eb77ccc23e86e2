import type { AuditEntry } from "./model.js";

/**
 * Where batches go: the repository itself (in a cluster worker, through server/cluster-audit.ts).
 * Called one batch at a time: the next call waits until the previous one settled.
 */
export interface AuditSink {
  appendAudits(entries: readonly AuditEntry[]): Promise<void>;
}

/**
 * Group commit for mint records: entries arriving in the same turn of the event loop are written
 * together (the batch is taken in a `setImmediate` callback, after the loop's I/O phase has delivered
 * every request it had), and each caller's promise settles only once its own entry is stored. So every
 * token is audited before it is handed out (same guarantee as one insert per mint), at a fraction of the
 * per-statement cost under load.
 *
 * Entries arriving while a write is in flight wait for the next one. SQLite allows 32766 bound parameters per statement; 9 columns per row gives a batch limit of
 * 3000 rows, kept well below.
 */
const MAX_BATCH = 500;

type Pending = { entry: AuditEntry; resolve: () => void; reject: (e: unknown) => void };

export class AuditBatcher {
  private queue: Pending[] = [];
  private writing = false;
  private scheduled = false;

  constructor(private readonly sink: AuditSink) {}

  append(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.scheduled && !this.writing) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
    });
  }

  private write(batch: Pending[]): Promise<void> {
    return this.sink.appendAudits(batch.map((b) => b.entry)).then(
      () => {
        for (const b of batch) b.resolve();
      },
      (e: unknown) => {
        for (const b of batch) b.reject(e);
      },
    );
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) await this.write(this.queue.splice(0, MAX_BATCH));
    this.writing = false;
  }
}
