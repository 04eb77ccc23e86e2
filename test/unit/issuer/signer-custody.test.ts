import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IssuerProblem } from "../../../src/issuer/errors.js";
import { kekFromBytes } from "../../../src/issuer/kek.js";
import { generateSigningKey, kmsKeyArn, kmsKeyRef, Signer } from "../../../src/issuer/signing-keys.js";

describe("the signer seam", () => {
  const kek = kekFromBytes(Buffer.alloc(32, 7));
  const times = { createdAt: 0, activateAt: 0 };

  test("a local key's record holds a sealed key, not a KMS reference", async () => {
    const key = await generateSigningKey("ES256", kek, times);
    assert.equal(kmsKeyArn(key), undefined);
    assert.match(key.privateKeySealed, /^v1\./);
  });

  test("a KMS reference round-trips and is never taken for a sealed key", async () => {
    const arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const key = { ...(await generateSigningKey("RS256", kek, times)), privateKeySealed: kmsKeyRef(arn) };
    assert.equal(kmsKeyArn(key), arn);
  });

  test("without a remote signer, a key held in KMS refuses to sign with a 503 problem (no key is opened)", async () => {
    const arn = "arn:aws:kms:eu-west-1:123456789012:key/k";
    const key = { ...(await generateSigningKey("ES256", kek, times)), privateKeySealed: kmsKeyRef(arn) };
    await assert.rejects(
      new Signer(kek).sign(key, { sub: "x" }),
      (e: unknown) => e instanceof IssuerProblem && e.type === "signer-unavailable" && e.status === 503,
    );
  });
});
