import { errorKind } from "../lib/errors.js";

/**
 * ECDSA signatures from DER to JOSE.
 *
 * AWS KMS returns an ECDSA signature as the DER encoding of `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER,
 * s INTEGER }` (RFC 3279 section 2.2.3, https://www.rfc-editor.org/rfc/rfc3279#section-2.2.3; KMS:
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html#API_Sign_ResponseSyntax). A JWS ES256
 * signature is instead the two integers as fixed-width big-endian octets, r then s, 32 bytes each
 * (RFC 7518 section 3.4, https://www.rfc-editor.org/rfc/rfc7518#section-3.4). DER integers are minimal
 * and signed: a leading 0x00 is added when the top bit is set, and a value with leading zero octets is
 * shorter than 32 bytes; both are undone here.
 */
/** A signature that is not a well-formed ECDSA-Sig-Value: the signer (KMS) answered wrongly. */
export class EcdsaSignatureError extends errorKind("ERR_ECDSA_SIGNATURE", "outside") {}

/**
 * `der` (an ECDSA-Sig-Value) → `r || s`, each left-padded to `size` octets (32 for P-256).
 * Throws `EcdsaSignatureError` for anything that is not exactly one well-formed SEQUENCE of two
 * non-negative INTEGERs that fit in `size` octets.
 */
export function derToJoseEcdsa(der: Uint8Array, size = 32): Buffer {
  const reader = new DerReader(der);
  const seq = reader.tlv(0x30);
  if (!reader.done()) throw new EcdsaSignatureError("trailing bytes after the ECDSA-Sig-Value");
  const inner = new DerReader(seq);
  const r = integer(inner.tlv(0x02), size);
  const s = integer(inner.tlv(0x02), size);
  if (!inner.done()) throw new EcdsaSignatureError("more than two INTEGERs in the ECDSA-Sig-Value");
  return Buffer.concat([r, s]);
}

/** An INTEGER's content octets as an unsigned big-endian value of exactly `size` octets. */
function integer(content: Uint8Array, size: number): Buffer {
  if (content.length === 0) throw new EcdsaSignatureError("an empty INTEGER");
  if ((content[0] as number) & 0x80) throw new EcdsaSignatureError("a negative INTEGER");
  let start = 0;
  while (start < content.length - 1 && content[start] === 0) start++;
  const digits = content.subarray(start);
  if (digits.length > size) throw new EcdsaSignatureError(`an INTEGER longer than ${size} octets`);
  const out = Buffer.alloc(size);
  out.set(digits, size - digits.length);
  return out;
}

/** Reads DER tag-length-value items (definite lengths only, as DER requires). */
class DerReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  done(): boolean {
    return this.at === this.bytes.length;
  }

  /** The content of the next item, which must have `tag`. */
  tlv(tag: number): Uint8Array {
    if (this.bytes[this.at] !== tag)
      throw new EcdsaSignatureError(`expected DER tag 0x${tag.toString(16)} at offset ${this.at}`);
    let length = this.bytes[this.at + 1];
    if (length === undefined) throw new EcdsaSignatureError("truncated DER");
    this.at += 2;
    if (length & 0x80) {
      const octets = length & 0x7f;
      if (octets === 0 || octets > 2) throw new EcdsaSignatureError("unsupported DER length");
      length = 0;
      for (let i = 0; i < octets; i++) {
        const b = this.bytes[this.at++];
        if (b === undefined) throw new EcdsaSignatureError("truncated DER");
        length = (length << 8) | b;
      }
    }
    const end = this.at + length;
    if (end > this.bytes.length) throw new EcdsaSignatureError("truncated DER");
    const content = this.bytes.subarray(this.at, end);
    this.at = end;
    return content;
  }
}
