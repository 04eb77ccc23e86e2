import type { AuditEntry } from "./model.js";

/** Where batches go: the repository itself, or (in a cluster worker) the primary process that writes them. */
export interface AuditSink {
  appendAudits(entries: readonly AuditEntry[]): Promise<void>;
}

/**
 * Group commit for mint records: entries arriving while a write is in flight are written together in the
 * next statement, and each caller's promise settles only once its own entry is stored. So every token is
 * audited before it is handed out (same guarantee as one insert per mint), at a fraction of the
 * per-statement cost under load. SQLite allows 32766 bound parameters per statement; 9 columns per row
 * gives a batch limit of 3000 rows, kept well below.
 */
const MAX_BATCH = 500;

export class AuditBatcher {
  private queue: { entry: AuditEntry; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly sink: AuditSink) {}

  append(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.sink.appendAudits(batch.map((b) => b.entry));
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.writing = false;
  }
}
