import { type Logger, pino } from "pino";

/**
 * Structured logs on stderr (stdout is for what a command prints: the bootstrap key, tokens), with every
 * place a secret could travel redacted: bearer headers, API key secrets, request tokens, JWTs.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "authorization",
  "secret",
  "*.secret",
  "requestToken",
  "*.requestToken",
  "value",
  "*.value",
  "token",
  "*.token",
  "kek",
  "*.kek",
];

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, destination);
}
