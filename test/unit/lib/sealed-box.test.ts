import assert from "node:assert/strict";
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { SessionSealer } from "../../../src/aws/credentials/session-token.js";
import { kekFromBytes } from "../../../src/issuer/kek.js";
import { cryptoIds } from "../../../src/lib/ids.js";
import { openBox, sealBox } from "../../../src/lib/sealed-box.js";

const key = Buffer.alloc(32, 7);
const iv = Buffer.alloc(12, 1);

describe("sealed box (AES-256-GCM)", () => {
  test("opens what it sealed, with the same key and AAD", () => {
    const box = sealBox(key, iv, "a private key", "kid-1");
    assert.equal(box.ciphertext.length, "a private key".length);
    assert.equal(box.tag.length, 16);
    assert.equal(openBox(key, box, "kid-1")?.toString("utf8"), "a private key");
  });

  test("a flipped byte, another AAD or another key opens nothing", () => {
    const box = sealBox(key, iv, "a private key", "kid-1");
    for (const part of ["iv", "tag", "ciphertext"] as const) {
      const altered = { ...box, [part]: Buffer.from(box[part]) };
      altered[part][0]! ^= 1;
      assert.equal(openBox(key, altered, "kid-1"), undefined, part);
    }
    assert.equal(openBox(key, box, "kid-2"), undefined);
    assert.equal(openBox(Buffer.alloc(32, 8), box, "kid-1"), undefined);
  });

  test("a key or IV of the wrong size is a programming error", () => {
    assert.throws(() => sealBox(Buffer.alloc(16), iv, "x", ""), RangeError);
    assert.throws(() => sealBox(key, Buffer.alloc(16), "x", ""), RangeError);
  });

  // The envelopes are stored (sealed signing keys in the issuer's database) and handed out (emulator
  // session tokens): text sealed by an independent AES-256-GCM implementation of each must still open.
  test("the issuer's stored format v1.<iv>.<tag>.<ciphertext> still opens", () => {
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from("kid-1", "utf8"));
    const ct = Buffer.concat([cipher.update("PRIVATE", "utf8"), cipher.final()]);
    const sealed = ["v1", iv, cipher.getAuthTag(), ct].map((b) =>
      typeof b === "string" ? b : b.toString("base64url"),
    );
    const kek = kekFromBytes(key);
    assert.equal(kek.open(sealed.join("."), "kid-1"), "PRIVATE");
    assert.equal(kek.open(kek.seal("PRIVATE", "kid-1"), "kid-1"), "PRIVATE");
    assert.throws(() => kek.open(kek.seal("PRIVATE", "kid-1"), "kid-2"), /could not be decrypted/);
    assert.throws(() => kek.open("v1.AAAA.BBBB.CCCC", "kid-1"), /unknown format/);
  });

  test("the emulator's session-token format (version byte, IV, tag, ciphertext; base64) still opens", () => {
    const session = { roleArn: "arn:aws:iam::123456789012:role/r", expiration: 1 };
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from("keyless emulator session v1"));
    const body = Buffer.concat([cipher.update(JSON.stringify(session), "utf8"), cipher.final()]);
    const token = Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]).toString("base64");
    const sealer = new SessionSealer(key, cryptoIds);
    assert.deepEqual(sealer.open(token), session);
    const fresh = sealer.seal(session as never);
    assert.deepEqual(sealer.open(fresh), session);
    assert.equal(new SessionSealer(randomBytes(32), cryptoIds).open(fresh), undefined);
  });
});
