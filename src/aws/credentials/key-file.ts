import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { errorKind, fileErrorFrom } from "../../lib/errors.js";
import type { IdGenerator } from "../../lib/ids.js";
import { createSecretFile } from "../../lib/secret-file.js";

export const KEY_FILE_NAME = "emulator.key";

/** The variable that gives every node the same sealing key (base64 of 32 bytes). */
export const SEALING_KEY_ENV = "KEYLESS_EMULATOR_SEALING_KEY";

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
 * `configured` (the value of KEYLESS_EMULATOR_SEALING_KEY: base64 of 32 bytes) takes the place of the
 * file, which is then neither read nor created: several emulator nodes on one PostgreSQL, each with its
 * own data dir, behind one load balancer, then accept each other's session credentials (as the issuer's
 * KEYLESS_KEK lets several issuers open each other's signing keys).
 *
 * Returns the 32-byte key. Throws `EmulatorKeyFileError` when the file or the variable holds no 32-byte
 * base64 key, and a file error (`ERR_FILE`, exit 2) when the data directory or the file cannot be written
 * or read.
 */
export function loadOrCreateKey(dataDir: string, ids: IdGenerator, configured?: string): Buffer {
  if (configured !== undefined && configured !== "") {
    const text = configured.trim();
    const key = Buffer.from(text, "base64");
    if (!isBase64Of32(key, text))
      throw new EmulatorKeyFileError(
        `${SEALING_KEY_ENV} must be the base64 of 32 bytes (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`,
      );
    return key;
  }
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
  if (!isBase64Of32(key, text))
    throw new EmulatorKeyFileError(
      `emulator key file ${path} does not hold a 32-byte base64 key (corrupt or edited); delete it to have a new key made (sessions issued with the old key stop working), or restore it from a backup`,
    );
  return key;
}

// Buffer.from skips characters outside base64, so a re-encoding check rejects edited values too.
const isBase64Of32 = (key: Buffer, text: string): boolean =>
  key.length === 32 && key.toString("base64") === text.replace(/=+$/, "").padEnd(44, "=");
