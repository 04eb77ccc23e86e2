import { accessSync, constants, mkdirSync } from "node:fs";
import { fileErrorFrom } from "./errors.js";

/**
 * Creates a data directory (owner-only, 0700) if needed and checks that keyless can write in it, so an
 * unusable `--data-dir` fails at once with one line rather than deep inside the store.
 *
 * @throws GeneralError `ERR_FILE` (exit 2) naming the directory: under a regular file, not writable, …
 */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw fileErrorFrom(
      error,
      "data directory",
      dir,
      "choose a writable directory with --data-dir (or KEYLESS_DATA_DIR)",
    );
  }
}
