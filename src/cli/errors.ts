/**
 * The CLI's contract for failures: one line on stderr, a meaningful exit code, never a stack trace.
 * Commands throw CliError; main.ts prints it. Anything else thrown is a bug and is reported as one line too.
 */
export const EXIT = {
  ok: 0,
  /** A decision was "no" (explain: deny; lint: findings at or above --fail-on). */
  negative: 1,
  /** The input was wrong: unreadable file, malformed policy, bad flag. */
  usage: 2,
  /** Something outside our control failed (network, peer service). */
  failure: 3,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = "CliError";
  }
}
