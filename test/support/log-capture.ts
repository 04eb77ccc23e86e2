import { Writable } from "node:stream";
import type { Logger } from "pino";
import { createLogger } from "../../src/server/logger.js";

/** What the real logger (pino with keyless's redaction, at `info`) wrote: raw text and parsed lines. */
export interface CapturedLog {
  readonly logger: Logger;
  /** Everything written so far, as written. */
  text(): string;
  /** Every line written so far, parsed (pino writes one JSON object a line). */
  readonly lines: Record<string, unknown>[];
}

/** The real logger writing into memory, so tests read exactly what an operator's log would hold. */
export function captureLog(): CapturedLog {
  let out = "";
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      const text = chunk.toString();
      out += text;
      for (const line of text.split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger("info", sink), text: () => out, lines };
}
