import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileError, fileErrorFrom } from "../lib/errors.js";
import { writeSecretFile } from "../lib/secret-file.js";

/**
 * Where a command writes a secret (`token --out`, `assume --out`): checked before anything secret
 * exists, so a wrong path fails with one line and nothing is minted, fetched or left behind.
 *
 * @param path the file named on the command line
 * @param flag the option that named it, for the message
 * @throws GeneralError `ERR_FILE` (exit 2) when the path is a directory, or its directory cannot be
 *   created or written
 */
export function checkOutputPath(path: string, flag: string): void {
  const todo = "name a file in a writable directory";
  try {
    if (statSync(path).isDirectory()) throw fileError(`${flag} ${path}: is a directory, not a file; ${todo}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw fileErrorFrom(error, flag, path, todo);
  }
  // The nearest existing ancestor must be a directory keyless may write in (it creates the rest, 0700).
  let dir = dirname(resolve(path));
  for (;;) {
    try {
      if (!statSync(dir).isDirectory())
        throw fileError(`${flag} ${path}: ${dir} is a file, not a directory; ${todo}`);
      accessSync(dir, constants.W_OK);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || dir === dirname(dir))
        throw fileErrorFrom(error, flag, path, todo);
      dir = dirname(dir);
    }
  }
}

/** Writes a secret owner-only and atomically (see runner/profile.ts), as a one-line `ERR_FILE` on failure. */
export function writeSecretOutput(path: string, content: string, flag: string): void {
  try {
    writeSecretFile(path, content);
  } catch (error) {
    throw fileErrorFrom(error, flag, path, "name a file in a writable directory");
  }
}
