import assert from "node:assert/strict";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, test } from "node:test";
import { derToJoseEcdsa, EcdsaSignatureError } from "../../../src/issuer/ecdsa-signature.js";

/** DER of SEQUENCE { INTEGER r, INTEGER s } from the INTEGERs' content octets, written by hand. */
function der(r: number[], s: number[]): Buffer {
  const int = (v: number[]) => [0x02, v.length, ...v];
  const body = [...int(r), ...int(s)];
  return Buffer.from([0x30, body.length, ...body]);
}

const fill = (n: number, byte: number) => new Array<number>(n).fill(byte);

describe("derToJoseEcdsa (RFC 7518 section 3.4)", () => {
  test("agrees with node:crypto's own ieee-p1363 encoding on many real P-256 signatures", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    let sawShort = false;
    let sawPadded = false;
    // Until both a 33-octet INTEGER (about one signature in two) and a short one (about one in 256) have
    // been seen: 20000 signatures miss a short one with probability below e^-78.
    for (let i = 0; i < 20000 && (i < 200 || !sawShort || !sawPadded); i++) {
      const data = Buffer.from(`message ${i}`);
      const derSig = sign("sha256", data, privateKey); // DER, as KMS returns it
      const rLen = derSig[3] as number;
      const sLen = derSig[4 + rLen + 1] as number;
      if (rLen < 32 || sLen < 32) sawShort = true;
      if (rLen === 33 || sLen === 33) sawPadded = true;
      const jose = derToJoseEcdsa(derSig);
      assert.equal(jose.length, 64);
      assert.ok(
        verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, jose),
        `signature ${i}`,
      );
    }
    assert.ok(sawPadded, "no signature with a 33-octet INTEGER was seen");
    assert.ok(sawShort, "no signature with a short INTEGER was seen");
  });

  test("a leading 0x00 sign octet is dropped", () => {
    const r = [0x00, 0x80, ...fill(31, 0x11)];
    const s = [0x00, 0xff, ...fill(31, 0x22)];
    const out = derToJoseEcdsa(der(r, s));
    assert.deepEqual([...out.subarray(0, 32)], [0x80, ...fill(31, 0x11)]);
    assert.deepEqual([...out.subarray(32)], [0xff, ...fill(31, 0x22)]);
  });

  test("short INTEGERs are left-padded with zeros to 32 octets", () => {
    const out = derToJoseEcdsa(der([0x01], [0x7f, 0x01]));
    assert.deepEqual([...out.subarray(0, 32)], [...fill(31, 0), 0x01]);
    assert.deepEqual([...out.subarray(32)], [...fill(30, 0), 0x7f, 0x01]);
  });

  test("a zero INTEGER and redundant leading zeros", () => {
    const out = derToJoseEcdsa(der([0x00], [0x00, 0x00, 0x05]));
    assert.deepEqual([...out], [...fill(63, 0), 0x05]);
  });

  test("other sizes (P-384: 48 octets each)", () => {
    const out = derToJoseEcdsa(der([0x02], [0x03]), 48);
    assert.equal(out.length, 96);
    assert.equal(out[47], 2);
    assert.equal(out[95], 3);
  });

  test("a long-form length (a P-521 sized sequence) is read", () => {
    const r = [0x01, ...fill(65, 0xaa)];
    const s = [0x01, ...fill(65, 0xbb)];
    const body = [0x02, r.length, ...r, 0x02, s.length, ...s];
    const input = Buffer.from([0x30, 0x81, body.length, ...body]);
    const out = derToJoseEcdsa(input, 66);
    assert.equal(out.length, 132);
    assert.equal(out[0], 0x01);
    assert.equal(out[131], 0xbb);
  });

  for (const [name, input] of [
    ["empty", Buffer.alloc(0)],
    ["not a SEQUENCE", Buffer.from([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])],
    ["truncated", der([0x01], [0x01]).subarray(0, 6)],
    ["one INTEGER", Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])],
    ["three INTEGERs", Buffer.from([0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])],
    ["trailing bytes", Buffer.concat([der([0x01], [0x01]), Buffer.from([0x00])])],
    ["a negative INTEGER", der([0x80], [0x01])],
    ["an empty INTEGER", Buffer.from([0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01])],
    ["an INTEGER too long for P-256", der([0x01, ...fill(32, 0x01)], [0x01])],
    ["a length beyond the input", Buffer.from([0x30, 0x7f, 0x02, 0x01, 0x01])],
  ] as const) {
    test(`refuses ${name}`, () => {
      assert.throws(() => derToJoseEcdsa(input), EcdsaSignatureError);
    });
  }
});
