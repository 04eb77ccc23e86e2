import { type DestinationStream, type Logger, pino } from "pino";
import { redactText, redactUrl } from "../lib/redact.js";

/**
 * Structured logs on stderr (stdout is for what a command prints: the bootstrap key, tokens), with every
 * place a secret could travel redacted: bearer headers, API key secrets, request tokens, JWTs, AWS
 * credentials, and secret-bearing query parameters of logged URLs (lib/redact.ts decides which).
 * Members are redacted by path with pino's `redact` (https://getpino.io/#/docs/redaction), at the top
 * level and one level down (`{ run: { token } }`); URLs and error messages by lib/redact.ts.
 */
const SECRET_MEMBERS = [
  "secret",
  "requestToken",
  "value",
  "token",
  "kek",
  "password",
  "sessionToken",
  "secretAccessKey",
  "webIdentityToken",
];
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "authorization",
  ...SECRET_MEMBERS.flatMap((m) => [m, `*.${m}`]),
];

/**
 * pino serializers shared by every logger keyless builds: `req` (Fastify's request shape, or any object
 * with a `url`) with its query string redacted, and `err` with message and stack redacted. Fastify keeps
 * a logger instance's own serializers over its defaults (fastify/lib/logger-factory.js).
 */
export const SERIALIZERS = {
  req(req: unknown): unknown {
    if (typeof req !== "object" || req === null) return req;
    const r = req as Record<string, unknown> & {
      raw?: unknown;
      ip?: string;
      socket?: { remotePort?: number };
      headers?: Record<string, unknown>;
    };
    // A Fastify request: the fields Fastify's own serializer logs (fastify/lib/logger-pino.js).
    const out: Record<string, unknown> =
      r.raw !== undefined
        ? {
            method: r.method,
            url: r.url,
            version: r.headers?.["accept-version"],
            host: r.host,
            remoteAddress: r.ip,
            remotePort: r.socket?.remotePort,
          }
        : { ...r };
    if (typeof out.url === "string") out.url = redactUrl(out.url);
    return out;
  },
  err(err: unknown): unknown {
    const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
    if (typeof out?.message === "string") out.message = redactText(out.message);
    if (typeof out?.stack === "string") out.stack = redactText(out.stack);
    return out;
  },
};

export function createLogger(level: string, destination: DestinationStream = process.stderr): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, serializers: SERIALIZERS },
    destination,
  );
}

/**
 * stderr through pino's asynchronous destination (sonic-boom, https://getpino.io/#/docs/asynchronous):
 * lines logged while a write is in flight are written together by the next one, instead of one
 * synchronous `write(2)` per line. pino flushes it synchronously on the process's `exit` event, so a
 * graceful stop (SIGTERM, SIGINT, `process.exit`) and an uncaught exception lose no line; a `kill -9`
 * may lose the lines not yet written (the audit table, not the log, is the record of minted tokens).
 */
export function asyncStderr(): DestinationStream {
  return pino.destination({ dest: 2, sync: false });
}
