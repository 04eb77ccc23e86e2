import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLocalJWKSet, jwtVerify } from "jose";
import { KekError, kekFromBytes } from "../../../src/issuer/kek.js";
import {
  AWS_SKEW_MS,
  keyStatuses,
  publishedKeys,
  scheduledRotation,
  signingKey,
} from "../../../src/issuer/key-lifecycle.js";
import { generateSigningKey, publicJwk, Signer } from "../../../src/issuer/signing-keys.js";
import { manualClock } from "../../../src/lib/clock.js";
import { keyRecord as key } from "../../support/key-records.js";

const H = 3_600_000;

describe("key-encryption key", () => {
  test("seals and opens; a wrong KEK or a sealed key moved to another kid does not open", () => {
    const kek = kekFromBytes(Buffer.alloc(32, 1));
    const sealed = kek.seal("secret pem", "kid-a");
    assert.ok(!sealed.includes("secret"));
    assert.equal(kek.open(sealed, "kid-a"), "secret pem");
    assert.throws(() => kek.open(sealed, "kid-b"), KekError);
    assert.throws(() => kekFromBytes(Buffer.alloc(32, 2)).open(sealed, "kid-a"), KekError);
    assert.throws(() => kekFromBytes(Buffer.alloc(16)), KekError);
  });
});

describe("signing keys", () => {
  for (const alg of ["RS256", "ES256"] as const) {
    test(`${alg}: generated, sealed, signs tokens that verify against the published JWK`, async () => {
      const kek = kekFromBytes(Buffer.alloc(32, 3));
      const record = await generateSigningKey(alg, kek, { createdAt: 0, activateAt: 0 });
      const jwk = publicJwk(record);
      assert.equal(jwk.kid, record.kid);
      assert.equal(jwk.alg, alg);
      assert.equal(jwk.use, "sig");
      assert.equal((jwk as Record<string, unknown>).d, undefined, "no private part is published");
      const { jwt } = await new Signer(kek).sign(record, { sub: "x" });
      const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet({ keys: [jwk] }));
      assert.equal(payload.sub, "x");
      assert.deepEqual(protectedHeader, { alg, kid: record.kid, typ: "JWT" });
    });
  }
});

describe("key lifecycle with an injected clock", () => {
  const overlap = 24 * H;
  test("a rotated key is published first and signs only after the overlap; the old one drains", () => {
    const clock = manualClock(1000 * H);
    const a = key("a", 0, 0);
    const b = key("b", clock(), clock() + overlap);
    const keys = [a, b];
    const lastExp = new Map<string, number>();
    const states = () =>
      Object.fromEntries(
        keyStatuses(keys, clock(), (k) => lastExp.get(k) ?? null).map((s) => [s.key.kid, s.state]),
      );

    assert.deepEqual(states(), { a: "active", b: "pending" });
    assert.deepEqual(
      publishedKeys(keyStatuses(keys, clock(), () => null)).map((k) => k.kid),
      ["a", "b"],
    );
    // a token signed by `a` just before b activates, valid for an hour
    clock.advance(overlap - 1);
    assert.equal(signingKey(keys, clock())?.kid, "a");
    lastExp.set("a", clock() + H);
    clock.advance(1);
    assert.equal(signingKey(keys, clock())?.kid, "b");
    assert.deepEqual(states(), { a: "superseded", b: "active" });
    clock.advance(H + AWS_SKEW_MS - 2);
    assert.deepEqual(
      states(),
      { a: "superseded", b: "active" },
      "kept until its last token's exp + AWS's skew",
    );
    clock.advance(2);
    assert.deepEqual(states(), { a: "retired", b: "active" });
  });
  test("a key retired after it signed (older stores) never hands signing back to the key it superseded", () => {
    const now = 100 * H;
    const keys = [key("a", 0, 0), key("b", H, 2 * H, 50 * H)];
    assert.equal(signingKey(keys, now), undefined, "b is retired and a stays superseded");
    const st = Object.fromEntries(keyStatuses(keys, now, () => null).map((s) => [s.key.kid, s.state]));
    assert.deepEqual(st, { a: "retired", b: "retired" });
    assert.deepEqual(scheduledRotation(keys, now, { overlapMs: overlap, rotationIntervalMs: 0 }), {
      action: "bootstrap",
      activateAt: now,
    });
  });
  test("the schedule: bootstrap with no key, rotate when the newest is old, never twice in flight", () => {
    const policy = { overlapMs: overlap, rotationIntervalMs: 30 * 24 * H };
    assert.deepEqual(scheduledRotation([], 5, policy), { action: "bootstrap", activateAt: 5 });
    const a = key("a", 0, 0);
    assert.deepEqual(scheduledRotation([a], 29 * 24 * H, policy), { action: "none" });
    const due = 30 * 24 * H;
    assert.deepEqual(scheduledRotation([a], due, policy), { action: "rotate", activateAt: due + overlap });
    const b = key("b", due, due + overlap);
    assert.deepEqual(
      scheduledRotation([a, b], due + 1, policy),
      { action: "none" },
      "a rotation is under way",
    );
    assert.deepEqual(scheduledRotation([a], due, { ...policy, rotationIntervalMs: 0 }), { action: "none" });
    assert.deepEqual(scheduledRotation([key("a", 0, 0, 1)], 2, policy), {
      action: "bootstrap",
      activateAt: 2,
    });
  });
});
