import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { IdGenerator } from "../../lib/ids.js";
import { createSecretFile } from "../../lib/secret-file.js";

export const KEY_FILE_NAME = "emulator.key";

/**
 * The emulator's sealing key: 32 random bytes in `<data dir>/emulator.key`, created owner-only (0600) on
 * first start and shared by every process started on the same data dir (cluster workers, restarts), so
 * session tokens stay valid across them. Created atomically so two processes starting at once agree.
 */
export function loadOrCreateKey(dataDir: string, ids: IdGenerator): Buffer {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEY_FILE_NAME);
  createSecretFile(path, ids.bytes(32).toString("base64"));
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte base64 key`);
  return key;
}
