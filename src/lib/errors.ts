/**
 * One error contract for the whole project (after panva's `jose`: one base, a stable `code` per failure).
 *
 * Every failure keyless reports on purpose is a `KeylessError`: a `code` from the throwing layer's own
 * literal union (IAM/STS error codes in the emulator, problem types on the admin API, `ERR_…` codes in
 * the runner and the CLI) and an `exitClass` that says whose fault it is. Each edge renders it in its
 * protocol's shape: the AWS error envelope, an RFC 9457 problem, or one `keyless:` line on stderr with
 * the exit status below, mapped once in `src/cli/main.ts`. Anything else thrown is a bug.
 */

/** Whose fault a failure is; the CLI maps each class to one exit status (`EXIT_STATUS`). */
export type ExitClass =
  /** A decision was "no": explain denied, lint found something, STS refused. */
  | "negative"
  /** The input was wrong: a bad flag, an unreadable or malformed file, a directory for a file. */
  | "input"
  /** Something outside keyless failed: the network, an issuer or emulator that does not answer. */
  | "outside";

/** The documented exit statuses (README, "Commands"). 127 is `exec`'s "command not found", set there. */
export const EXIT_STATUS = {
  ok: 0,
  negative: 1,
  input: 2,
  outside: 3,
} as const satisfies Record<ExitClass | "ok", number>;

export abstract class KeylessError<Code extends string = string> extends Error {
  /** A stable identifier callers can switch on; never reworded. */
  abstract readonly code: Code;
  /** Whose fault it is, hence the CLI's exit status. */
  abstract readonly exitClass: ExitClass;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Codes of failures raised by keyless's own edges (CLI, runner, files) rather than by a protocol peer. */
export type GeneralErrorCode =
  | "ERR_INPUT"
  | "ERR_FILE"
  | "ERR_NEGATIVE"
  | "ERR_UNREACHABLE"
  | "ERR_PEER"
  | "ERR_CHILD_NOT_FOUND";

const CLASS_OF: Readonly<Record<GeneralErrorCode, ExitClass>> = {
  ERR_INPUT: "input",
  ERR_FILE: "input",
  ERR_NEGATIVE: "negative",
  ERR_UNREACHABLE: "outside",
  ERR_PEER: "outside",
  ERR_CHILD_NOT_FOUND: "outside",
};

/** A failure at keyless's own edges; its class follows from its code. */
export class GeneralError extends KeylessError<GeneralErrorCode> {
  readonly exitClass: ExitClass;
  constructor(
    readonly code: GeneralErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.exitClass = CLASS_OF[code];
  }
}

/** Bad input (exit 2): say what was wrong and what to do. */
export const inputError = (message: string, options?: ErrorOptions) =>
  new GeneralError("ERR_INPUT", message, options);
/** A path that cannot be read or written as asked (exit 2): name the path. */
export const fileError = (message: string, options?: ErrorOptions) =>
  new GeneralError("ERR_FILE", message, options);
/** A "no" answer (exit 1). */
export const negativeAnswer = (message: string) => new GeneralError("ERR_NEGATIVE", message);
/** A peer that does not answer (exit 3): name its URL. */
export const unreachable = (message: string, options?: ErrorOptions) =>
  new GeneralError("ERR_UNREACHABLE", message, options);
/** A peer that answered wrongly (exit 3). */
export const peerFailure = (message: string, options?: ErrorOptions) =>
  new GeneralError("ERR_PEER", message, options);

export const isKeylessError = (error: unknown): error is KeylessError => error instanceof KeylessError;

/**
 * A base class for a layer's failures that all share one code and one class (a token source that
 * cannot give a token, a malformed configuration): `class ConfigError extends errorKind("ERR_CONFIG",
 * "input") {}`. The subclass keeps its own name, so tests and logs still say which layer failed.
 */
export function errorKind<const Code extends string>(code: Code, exitClass: ExitClass) {
  return class extends KeylessError<Code> {
    readonly code: Code = code;
    readonly exitClass: ExitClass = exitClass;
  };
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory, not a file",
  ENOTDIR: "a part of the path is a file, not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EEXIST: "something is already there (a file where a directory is needed?)",
  ENOSPC: "no space left on the device",
};

/**
 * The one-line `fileError` for a failed file-system call on `path` (Node's `ErrnoException` codes, see
 * https://nodejs.org/api/errors.html#common-system-errors): "<what> <path>: <reason>; <todo>".
 * Anything that is not a file-system error is returned unchanged, to be reported as the bug it is.
 */
export function fileErrorFrom(error: unknown, what: string, path: string, todo: string): Error {
  if (error instanceof KeylessError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string" || !/^E[A-Z]+$/.test(code)) return error as Error;
  return fileError(`${what} ${path}: ${REASONS[code] ?? code}; ${todo}`, { cause: error });
}
