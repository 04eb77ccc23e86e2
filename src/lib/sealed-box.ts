import { createCipheriv, createDecipheriv } from "node:crypto";

/**
 * The one authenticated-encryption primitive keyless uses for data at rest and in tokens: AES-256-GCM
 * with a 12-byte IV and a 16-byte tag (NIST SP 800-38D; the IV must never repeat under one key, so callers
 * pass fresh random bytes). The additional authenticated data (AAD) binds a box to where it belongs (a
 * signing key's kid, the emulator's session-token version), so a box copied elsewhere does not open.
 * Callers keep their own envelope (how the three parts are laid out in text): those formats are stored
 * and handed out, so they never change here.
 */

export const SEALED_BOX_KEY_BYTES = 32;
export const SEALED_BOX_IV_BYTES = 12;
export const SEALED_BOX_TAG_BYTES = 16;

export interface SealedBox {
  /** 12 bytes, unique per seal under one key. */
  readonly iv: Buffer;
  /** 16-byte GCM authentication tag. */
  readonly tag: Buffer;
  /** As long as the plaintext. */
  readonly ciphertext: Buffer;
}

/**
 * Seals `plaintext` (a string is UTF-8) under a 32-byte `key` with the 12-byte `iv`, authenticating `aad`
 * too. Throws RangeError for a key or IV of the wrong size.
 */
export function sealBox(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: string | Uint8Array,
  aad: string | Uint8Array,
): SealedBox {
  checkSizes(key, iv);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(typeof aad === "string" ? Buffer.from(aad, "utf8") : aad);
  const ciphertext = Buffer.concat([
    typeof plaintext === "string" ? cipher.update(plaintext, "utf8") : cipher.update(plaintext),
    cipher.final(),
  ]);
  return { iv: Buffer.from(iv), tag: cipher.getAuthTag(), ciphertext };
}

/**
 * The plaintext of `box`, or undefined when it was not sealed under `key` with this `aad` or any byte
 * was altered (GCM's tag fails). Throws RangeError for a key or IV of the wrong size.
 */
export function openBox(key: Uint8Array, box: SealedBox, aad: string | Uint8Array): Buffer | undefined {
  checkSizes(key, box.iv);
  if (box.tag.length !== SEALED_BOX_TAG_BYTES) return undefined;
  const decipher = createDecipheriv("aes-256-gcm", key, box.iv);
  decipher.setAAD(typeof aad === "string" ? Buffer.from(aad, "utf8") : aad);
  decipher.setAuthTag(box.tag);
  try {
    return Buffer.concat([decipher.update(box.ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

function checkSizes(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== SEALED_BOX_KEY_BYTES)
    throw new RangeError(`a sealed-box key is ${SEALED_BOX_KEY_BYTES} bytes, got ${key.length}`);
  if (iv.length !== SEALED_BOX_IV_BYTES)
    throw new RangeError(`a sealed-box IV is ${SEALED_BOX_IV_BYTES} bytes, got ${iv.length}`);
}
