import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { errorKind, fileErrorFrom } from "../../lib/errors.js";
import type { IdGenerator } from "../../lib/ids.js";
import { createSecretFile } from "../../lib/secret-file.js";

export const KEY_FILE_NAME = "emulator.key";

/**
 * The emulator's key file holds something other than a key (truncated, edited, another file copied
 * over it): bad input, exit 2. The message names the file and what to do.
 */
export class EmulatorKeyFileError extends errorKind("ERR_EMULATOR_KEY", "input") {}

/**
 * The emulator's sealing key: 32 random bytes in `<data dir>/emulator.key`, created owner-only (0600) on
 * first start and shared by every process started on the same data dir (cluster workers, restarts), so
 * session tokens stay valid across them. Created atomically so two processes starting at once agree.
 *
 * Returns the 32-byte key. Throws `EmulatorKeyFileError` when the file holds no 32-byte base64 key, and
 * a file error (`ERR_FILE`, exit 2) when the data directory or the file cannot be written or read.
 */
export function loadOrCreateKey(dataDir: string, ids: IdGenerator): Buffer {
  const path = join(dataDir, KEY_FILE_NAME);
  let text: string;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    createSecretFile(path, ids.bytes(32).toString("base64"));
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw fileErrorFrom(
      error,
      "emulator key file",
      path,
      "give --data-dir a writable directory, or make the key file a regular file readable by this user",
    );
  }
  const key = Buffer.from(text, "base64");
  // Buffer.from skips characters outside base64, so a re-encoding check rejects edited files too.
  if (key.length !== 32 || key.toString("base64") !== text.replace(/=+$/, "").padEnd(44, "="))
    throw new EmulatorKeyFileError(
      `emulator key file ${path} does not hold a 32-byte base64 key (corrupt or edited); delete it to have a new key made (sessions issued with the old key stop working), or restore it from a backup`,
    );
  return key;
}
