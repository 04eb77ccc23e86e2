import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { Clock } from "../../lib/clock.js";
import type { IdGenerator } from "../../lib/ids.js";
import type { CallRecord } from "./authorize-service.js";
import { type DecisionEvent, decisionEvent } from "./events.js";

/** Where a data dir keeps its decision log: one file per process, `<node>.jsonl` and its previous `.1`. */
export const eventsDir = (dataDir: string): string => join(dataDir, "events");

/** Each file is rotated past this size, keeping one previous file: a process's two files (all calls,
 * refusals) hold at most 4 × this. */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** Longest wait between a call and its line reaching the file, ms: `emulator events --follow` polls slower. */
export const FLUSH_MS = 20;
/** Buffered bytes (UTF-16 code units, an estimate) that trigger a write before FLUSH_MS. */
export const FLUSH_BYTES = 64 * 1024;

export interface DecisionLogOptions {
  readonly dataDir: string;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Rotation size of this process's file, bytes (default 4 MiB). */
  readonly maxBytes?: number;
  /** Told every event as it is recorded (`keyless dev` prints the refusals). */
  readonly onEvent?: (event: DecisionEvent) => void;
}

/**
 * The decision log: every IAM and STS call as a CloudTrail-shaped event, appended as JSON lines to this
 * process's files under `<data-dir>/events/` (0600), so every process (workers, nodes sharing a data dir)
 * writes its own and a reader merges them while they run: `<pid>-<id>.jsonl` (every call) and
 * `<pid>-<id>-refused.jsonl` (refusals again, so a busy stream of allowed calls cannot push them out).
 * Bounded: past `maxBytes` a file becomes `<name>.1` (replacing the previous one) and a new one starts.
 * Lines are buffered and written together at most `FLUSH_MS` after the first of them (or sooner, once
 * `FLUSH_BYTES` are waiting, on a refusal, and on close): under load that is one write for dozens of calls. Written once
 * per event-loop turn before, the log cost bench:emulator 20-30 µs of CPU per call, mostly that write
 * syscall (docs/performance.md). Secrets are never written (see requestParameters).
 */
export class DecisionLog {
  private readonly all: RotatingFile;
  /** Refusals also go to their own file, so a busy stream of allowed calls cannot push them out. */
  private readonly refused: RotatingFile;
  private pending: string[] = [];
  private pendingRefused: string[] = [];
  private pendingLength = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DecisionLogOptions) {
    const dir = eventsDir(options.dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const base = join(dir, `${process.pid}-${options.ids.uuid().slice(0, 8)}`);
    const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.all = new RotatingFile(`${base}.jsonl`, max);
    this.refused = new RotatingFile(`${base}-refused.jsonl`, max);
  }

  /** Records one call (the emulator's `onCall`). Never throws: a log that cannot be written is skipped. */
  readonly record = (call: CallRecord): void => {
    const event = decisionEvent(call, this.options.ids.uuid(), this.options.clock());
    this.options.onEvent?.(event);
    const line = `${JSON.stringify(event)}\n`;
    this.pending.push(line);
    if (event.errorCode) this.pendingRefused.push(line);
    this.pendingLength += line.length;
    // A refusal is written at once, before its response: `keyless dev` prints it and people run
    // `keyless explain --event ID` on it straight away. Refusals are the rare case under load.
    if (event.errorCode || this.pendingLength >= FLUSH_BYTES) this.flush();
    else if (this.timer === undefined) {
      // unref: a pending write never keeps the process alive; close() (on SIGTERM) writes it.
      this.timer = setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
  };

  /** Writes what is buffered now (also called on close). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingLength = 0;
    if (this.pending.length > 0) this.all.append(this.pending);
    if (this.pendingRefused.length > 0) this.refused.append(this.pendingRefused);
    this.pending = [];
    this.pendingRefused = [];
  }

  close(): void {
    this.flush();
    this.all.close();
    this.refused.close();
  }
}

/** An append-only file (0600) that becomes `<file>.1` past `maxBytes`, replacing the previous one. */
class RotatingFile {
  private fd: number | undefined;
  private size = 0;
  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
  ) {}

  /** Appends whole lines; rotates between lines, so no file exceeds maxBytes (unless one line does). */
  append(lines: readonly string[]): void {
    try {
      if (this.fd === undefined) {
        this.fd = openSync(this.file, "a", 0o600);
        this.size = fstatSync(this.fd).size;
      }
      // The chunk's byte length is kept as it grows (measuring the whole chunk per line was quadratic).
      let chunk = "";
      let chunkBytes = 0;
      for (const line of lines) {
        const bytes = Buffer.byteLength(line);
        if (this.size + chunkBytes > 0 && this.size + chunkBytes + bytes > this.maxBytes) {
          if (chunk !== "") this.size += writeSync(this.fd, chunk);
          chunk = "";
          chunkBytes = 0;
          closeSync(this.fd);
          renameSync(this.file, `${this.file}.1`);
          this.fd = openSync(this.file, "a", 0o600);
          this.size = 0;
        }
        chunk += line;
        chunkBytes += bytes;
      }
      if (chunk !== "") this.size += writeSync(this.fd, chunk);
    } catch {
      // The log is an aid: a full disk must not fail the calls it describes.
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Every event recorded under a data dir, oldest first (by eventTime, then file order). Lines that are
 * not complete JSON (a write in progress) are skipped.
 */
export function readEvents(dataDir: string): DecisionEvent[] {
  const dir = eventsDir(dataDir);
  if (!existsSync(dir)) return [];
  const events: DecisionEvent[] = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl") || f.endsWith(".jsonl.1"))
    .sort((a, b) => (a.endsWith(".1") === b.endsWith(".1") ? a.localeCompare(b) : a.endsWith(".1") ? -1 : 1));
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      if (line === "") continue;
      try {
        events.push(JSON.parse(line) as DecisionEvent);
      } catch {
        // a partial last line
      }
    }
  }
  const seen = new Set<string>();
  const unique = events.filter((e) => !seen.has(e.eventID) && seen.add(e.eventID));
  return unique.sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
}

/** One line per event for people: time, outcome, who, what, and the refusal's message. */
export function eventLine(e: DecisionEvent): string {
  const who = String(e.userIdentity.arn ?? e.userIdentity.principalId ?? e.userIdentity.type);
  const outcome = e.errorCode ? `${e.errorCode}` : "OK";
  const head = `${e.eventTime} ${e.eventID} ${outcome} ${e.eventSource.split(".")[0]}:${e.eventName} ${who}`;
  return e.errorMessage ? `${head}: ${e.errorMessage}` : head;
}
