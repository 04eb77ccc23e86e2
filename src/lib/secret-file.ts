import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { KeylessError } from "./errors.js";

/**
 * The one way keyless writes a file holding a secret (tokens, AWS credentials and profiles, admin API
 * keys, key-encryption and sealing keys, private keys, dev settings): owner-only (0600) from the first
 * byte, never through a symbolic link (a link planted at e.g. ~/.aws/credentials could otherwise redirect
 * secrets anywhere), and atomically, so a reader sees the old content or the new, never a part. The
 * content goes to a new temporary file beside the target (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), is
 * fsync'ed, then renamed (or linked) into place; on any failure the temporary file is removed, so no
 * secret is left behind. See open(2) for O_EXCL/O_NOFOLLOW and rename(2)/link(2) for atomicity.
 */

/** A path that cannot hold a secret as asked (a symlink, a directory, a file others can read): exit 2. */
export class SecretFileError extends KeylessError<"ERR_FILE"> {
  readonly code = "ERR_FILE";
  readonly exitClass = "input";
}

/**
 * Writes `content` to `path`, replacing any file there, creating the parent directory (0700) if needed.
 * Throws `SecretFileError` if `path` is a symbolic link or a directory; file-system errors pass through.
 */
export function writeSecretFile(path: string, content: string | Uint8Array): void {
  const temporary = writeTemporary(path, content);
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkQuietly(temporary);
    throw error;
  }
}

/**
 * Creates `path` with `content` only if nothing is there yet, atomically: when several processes race
 * (cluster workers starting on one data directory) exactly one wins and every reader sees whole content.
 * Returns false, writing nothing, if `path` already exists. Throws `SecretFileError` for a symbolic link
 * or a directory at `path`.
 */
export function createSecretFile(path: string, content: string | Uint8Array): boolean {
  const temporary = writeTemporary(path, content);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      refuseUnfit(path);
      return false;
    }
    throw error;
  } finally {
    unlinkQuietly(temporary);
  }
}

/** Writes the content to a fresh 0600 file beside `path` and returns its name; removes it on failure. */
function writeTemporary(path: string, content: string | Uint8Array): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  refuseUnfit(path);
  const temporary = `${path}.keyless-${process.pid}-${randomBytes(6).toString("hex")}`;
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    // The mode argument is filtered by the umask, which can only remove bits: check nothing was added.
    if ((fstatSync(fd).mode & 0o077) !== 0)
      throw new SecretFileError(`${temporary} was not created owner-only`);
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    fsyncSync(fd);
    closeSync(fd);
  } catch (error) {
    closeQuietly(fd);
    unlinkQuietly(temporary);
    throw error;
  }
  return temporary;
}

/**
 * Throws `SecretFileError` if `path` is a symbolic link or a directory (a missing path is fine): for
 * callers that read the old content before replacing it, so they never read through a link either.
 */
export function refuseUnfit(path: string): void {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (stats.isSymbolicLink())
    throw new SecretFileError(`${path} is a symbolic link; refusing to write a secret through it`);
  if (stats.isDirectory())
    throw new SecretFileError(`${path} is a directory; give the path of a file to write`);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (renamed into place, or never created).
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
