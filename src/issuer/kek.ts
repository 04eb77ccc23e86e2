import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { errorKind } from "../lib/errors.js";
import { openBox, SEALED_BOX_IV_BYTES, type SealedBox, sealBox } from "../lib/sealed-box.js";
import { createSecretFile } from "../lib/secret-file.js";

/**
 * Signing keys are encrypted at rest with AES-256-GCM under a key-encryption key (KEK). The KEK comes from
 * `KEYLESS_KEK` (base64 of 32 bytes; required when several hosts share one PostgreSQL) or from a 0600
 * file `kek` in the data directory, created on first start.
 */
export class KekError extends errorKind("ERR_KEK", "input") {}

export const KEK_FILE = "kek";

export interface KeyEncryptionKey {
  seal(plaintext: string, aad: string): string;
  open(sealed: string, aad: string): string;
}

export function kekFromBytes(key: Buffer): KeyEncryptionKey {
  if (key.length !== 32) throw new KekError(`the key-encryption key must be 32 bytes, got ${key.length}`);
  return {
    // Format: v1.<iv>.<tag>.<ciphertext>, base64url. The AAD binds the ciphertext to its row (the kid),
    // so a sealed key copied onto another row does not open.
    seal(plaintext, aad) {
      const box = sealBox(key, randomBytes(SEALED_BOX_IV_BYTES), plaintext, aad);
      return ["v1", box.iv, box.tag, box.ciphertext].map((part) => part.toString("base64url")).join(".");
    },
    open(sealed, aad) {
      const [v, iv, tag, ct] = sealed.split(".");
      const box = v === "v1" && iv && tag && ct !== undefined ? decodeBox(iv, tag, ct) : undefined;
      if (!box || box.iv.length !== SEALED_BOX_IV_BYTES)
        throw new KekError("sealed key has an unknown format");
      const plaintext = openBox(key, box, aad);
      if (!plaintext)
        throw new KekError(
          "a signing key could not be decrypted: the key-encryption key is not the one it was sealed with",
        );
      return plaintext.toString("utf8");
    },
  };
}

const decodeBox = (iv: string, tag: string, ct: string): SealedBox => ({
  iv: Buffer.from(iv, "base64url"),
  tag: Buffer.from(tag, "base64url"),
  ciphertext: Buffer.from(ct, "base64url"),
});

export function parseKek(base64: string, source: string): KeyEncryptionKey {
  const bytes = Buffer.from(base64.trim(), "base64");
  if (bytes.length !== 32)
    throw new KekError(`${source} must be the base64 of 32 bytes (got ${bytes.length} bytes)`);
  return kekFromBytes(bytes);
}

/** The KEK from `env` (KEYLESS_KEK) if set, else from `<dataDir>/kek`, creating it (0600) if absent. */
export function loadKek(options: { env: string | undefined; dataDir: string }): KeyEncryptionKey {
  if (options.env) return parseKek(options.env, "KEYLESS_KEK");
  const file = join(options.dataDir, KEK_FILE);
  if (!existsSync(file)) {
    createSecretFile(file, randomBytes(32).toString("base64") + "\n");
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new KekError(`${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`);
  }
  return parseKek(readFileSync(file, "utf8"), file);
}
