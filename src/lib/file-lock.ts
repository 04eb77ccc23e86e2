import { closeSync, constants, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import { fileError } from "./errors.js";

/**
 * Runs `update` while holding `<path>.lock`, so that processes doing a read-modify-write of one shared
 * file (two jobs on one runner writing their profiles into ~/.aws/credentials) take turns instead of
 * each renaming its own copy over the other's. The lock is a file created with O_CREAT|O_EXCL (atomic
 * on local file systems and NFSv3+, see open(2): https://man7.org/linux/man-pages/man2/open.2.html),
 * holding the owner's pid, removed afterwards. A holder keeps it for milliseconds; one older than
 * `staleMs` is taken to be left by a process that died, and removed.
 *
 * Synchronous, for the CLI's one-shot writers. Throws `fileError` (exit 2) when the lock stays taken
 * for `waitMs`; the lock's own creation errors (EACCES, ENOENT, …) pass through for the caller to name.
 */
export function withFileLock<T>(
  path: string,
  update: () => T,
  options: { waitMs?: number; staleMs?: number } = {},
): T {
  const lock = `${path}.lock`;
  const waitMs = options.waitMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const started = Date.now();
  let pause = 5;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(
        lock,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (age(lock) > staleMs) removeQuietly(lock);
      else if (Date.now() - started > waitMs)
        throw fileError(
          `${path}: another process has held ${lock} for over ${Math.round(waitMs / 1000)} s; remove it if no keyless is running`,
        );
      else {
        sleep(pause);
        pause = Math.min(pause * 2, 100);
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      return update();
    } finally {
      removeQuietly(lock);
    }
  }
}

/** Milliseconds since the lock was last modified; 0 if it is gone already (retry at once). */
function age(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** Blocks the thread: the writers are synchronous, and nothing else runs while a CLI writes a profile. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
