import { createCipheriv, createDecipheriv } from "node:crypto";
import type { IdGenerator } from "../../lib/ids.js";
import type { RoleSession } from "./caller.js";

/**
 * Session tokens that carry their session: the session (role, account, tags, expiry and the secret key)
 * is sealed with AES-256-GCM under the emulator's key, so any process holding the key verifies a token
 * and recovers the secret to check the signature with, without a shared lookup table. Tampering with any
 * byte fails the GCM tag. Layout (then base64): version byte, 12-byte IV, 16-byte tag, ciphertext.
 * AWS's tokens are opaque base64 of no fixed size, so clients make no assumption this breaks.
 */
const VERSION = 1;
const AAD = Buffer.from("keyless emulator session v1");

export class SessionSealer {
  constructor(
    private readonly key: Buffer,
    private readonly ids: IdGenerator,
  ) {
    if (key.length !== 32) throw new Error("the emulator key must be 32 bytes");
  }

  seal(session: RoleSession): string {
    const iv = this.ids.bytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(JSON.stringify(session), "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]).toString("base64");
  }

  /** The sealed session, or undefined when the token was not sealed by this key or was altered. */
  open(token: string): RoleSession | undefined {
    if (token.length > 16_384 || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return undefined;
    const raw = Buffer.from(token, "base64");
    if (raw.length < 1 + 12 + 16 + 2 || raw[0] !== VERSION) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(1, 13));
      decipher.setAAD(AAD);
      decipher.setAuthTag(raw.subarray(13, 29));
      const text = Buffer.concat([decipher.update(raw.subarray(29)), decipher.final()]).toString("utf8");
      return JSON.parse(text) as RoleSession;
    } catch {
      return undefined;
    }
  }
}
