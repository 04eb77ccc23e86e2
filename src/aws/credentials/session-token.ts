import type { IdGenerator } from "../../lib/ids.js";
import { openBox, SEALED_BOX_IV_BYTES, SEALED_BOX_TAG_BYTES, sealBox } from "../../lib/sealed-box.js";
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
    const box = sealBox(this.key, this.ids.bytes(SEALED_BOX_IV_BYTES), JSON.stringify(session), AAD);
    return Buffer.concat([Buffer.from([VERSION]), box.iv, box.tag, box.ciphertext]).toString("base64");
  }

  /** The sealed session, or undefined when the token was not sealed by this key or was altered. */
  open(token: string): RoleSession | undefined {
    if (token.length > 16_384 || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return undefined;
    const raw = Buffer.from(token, "base64");
    const head = 1 + SEALED_BOX_IV_BYTES;
    const body = head + SEALED_BOX_TAG_BYTES;
    if (raw.length < body + 2 || raw[0] !== VERSION) return undefined;
    const text = openBox(
      this.key,
      { iv: raw.subarray(1, head), tag: raw.subarray(head, body), ciphertext: raw.subarray(body) },
      AAD,
    );
    if (!text) return undefined;
    try {
      return JSON.parse(text.toString("utf8")) as RoleSession;
    } catch {
      return undefined;
    }
  }
}
