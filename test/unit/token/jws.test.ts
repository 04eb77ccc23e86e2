import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { type JwsAlgorithm, JwsKeyError, verifyCompactSignature } from "../../../src/core/token/jws.js";

// Tokens signed by jose (an independent implementation), verified by ours.
describe("JWS verification on node:crypto", () => {
  for (const alg of ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"] as JwsAlgorithm[]) {
    test(`${alg}: a valid signature verifies; a changed payload or signature does not`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(publicKey);
      const token = await new SignJWT({ sub: "repo:a/b", aud: "sts.amazonaws.com" })
        .setProtectedHeader({ alg, kid: "k" })
        .sign(privateKey);
      assert.equal(verifyCompactSignature(token, jwk, alg), true);
      const [h, p, s] = token.split(".");
      const forged = Buffer.from(JSON.stringify({ sub: "repo:evil/b", aud: "sts.amazonaws.com" })).toString(
        "base64url",
      );
      assert.equal(verifyCompactSignature(`${h}.${forged}.${s}`, jwk, alg), false);
      const flipped = s!.slice(0, -2) + (s!.endsWith("AA") ? "BB" : "AA");
      assert.equal(verifyCompactSignature(`${h}.${p}.${flipped}`, jwk, alg), false);
    });
  }

  test("the key must fit the algorithm: type, curve, RSA size", async () => {
    const ec = await exportJWK((await generateKeyPair("ES256", { extractable: true })).publicKey);
    const token = "e30.e30.AAAA";
    assert.throws(() => verifyCompactSignature(token, ec, "RS256"), JwsKeyError);
    assert.throws(() => verifyCompactSignature(token, ec, "ES384"), JwsKeyError);
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
    assert.throws(() => verifyCompactSignature(token, small as never, "RS256"), /at least 2048 bits/);
  });
});
