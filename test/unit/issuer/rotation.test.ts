import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { OPERATOR } from "../../../src/issuer/authz.js";
import { acmeRun, type TestIssuer, testIssuer } from "../../support/issuer.js";

const MIN = 60_000;
const H = 60 * MIN;

/**
 * Rotation with the injected clock: every token — signed before, during and after a rotation — verifies
 * against any JWKS a verifier could hold, i.e. a copy fetched up to one overlap before the token was signed
 * (AWS's cache, which the overlap must exceed) or any time until the token's exp + AWS's 5-minute skew.
 */
describe("key rotation with no failed verification", () => {
  let t: TestIssuer;
  let requestToken: string;
  let runId: string;
  before(async () => {
    t = await testIssuer();
    const { run } = await acmeRun(t.service);
    requestToken = run.requestToken;
    runId = run.run.id;
  });
  after(() => t.close());

  test("before, during and after a rotation (RS256 → ES256), then the old key leaves the JWKS", async () => {
    const s = t.service;
    const snapshots: { at: number; jwks: JSONWebKeySet }[] = [];
    const snap = async () => {
      const jwks = structuredClone(await s.signingKeys.jwks()) as unknown as JSONWebKeySet;
      snapshots.push({ at: t.clock(), jwks });
      return jwks;
    };
    const tokens: { jwt: string; at: number; exp: number; kid: string }[] = [];
    const mint = async (lifetimeSeconds = 900) => {
      const m = await s.runs.mint(requestToken, runId, { audience: "sts.amazonaws.com", lifetimeSeconds });
      tokens.push({ jwt: m.value, at: t.clock(), exp: m.token.expiresAt * 1000, kid: m.kid });
      return m;
    };
    const verifies = async (jwt: string, jwks: JSONWebKeySet) => {
      try {
        await jwtVerify(jwt, createLocalJWKSet(jwks), {
          currentDate: new Date(t.clock()),
          clockTolerance: 300,
          audience: "sts.amazonaws.com",
        });
        return true;
      } catch {
        return false;
      }
    };

    await snap();
    const before = await mint();
    const kidA = before.kid;
    t.clock.advance(MIN);
    const next = await s.signingKeys.rotate(OPERATOR, { algorithm: "ES256" });
    assert.equal(next.activateAt, t.clock() + 24 * H, "signs only after the overlap");
    const during = await snap();
    assert.deepEqual(during.keys.map((k) => k.kid).sort(), [kidA, next.kid].sort(), "published at once");
    assert.equal((await mint()).kid, kidA, "the old key still signs during the overlap");
    t.clock.advance(24 * H - 2 * MIN);
    await snap();
    const last = await mint(3600); // the old key's last token, valid for an hour
    assert.equal(last.kid, kidA);
    t.clock.advance(2 * MIN);
    const after = await mint();
    assert.equal(after.kid, next.kid, "the new key signs after the overlap");
    assert.equal(
      (
        after.value.split(".")[0] &&
        JSON.parse(Buffer.from(after.value.split(".")[0]!, "base64url").toString())
      ).alg,
      "ES256",
    );
    await snap();

    // Walk time on past the last old token's expiry, taking JWKS copies on the way.
    for (let i = 0; i < 14; i++) {
      t.clock.advance(5 * MIN);
      await snap();
    }

    // The guarantee, for every token and every copy a verifier could hold while the token is acceptable.
    let checks = 0;
    for (const tok of tokens) {
      for (const s2 of snapshots) {
        const heldWhenUsed = s2.at >= tok.at - 24 * H + MIN && s2.at <= tok.exp + 5 * MIN;
        if (!heldWhenUsed) continue;
        const saved = t.clock();
        t.clock.set(Math.max(tok.at, Math.min(s2.at, tok.exp)));
        assert.ok(
          await verifies(tok.jwt, s2.jwks),
          `token signed at +${(tok.at - snapshots[0]!.at) / MIN} min with ${tok.kid} vs JWKS of +${(s2.at - snapshots[0]!.at) / MIN} min`,
        );
        t.clock.set(saved);
        checks++;
      }
    }
    assert.ok(checks >= 20, `${checks} token × JWKS pairs checked`);
    // Why the overlap matters: a copy from before the rotation cannot verify the new key's tokens.
    assert.equal(await verifies(after.value, snapshots[0]!.jwks), false);

    // And the old key is gone once its last token (exp + skew) can no longer be accepted.
    const lastExp = tokens.find((x) => x.jwt === last.value)!.exp;
    t.clock.set(lastExp + 5 * MIN - 1);
    assert.ok((await s.signingKeys.jwks()).keys.some((k) => k.kid === kidA));
    t.clock.set(lastExp + 5 * MIN);
    assert.deepEqual(
      (await s.signingKeys.jwks()).keys.map((k) => k.kid),
      [next.kid],
    );
    const states = Object.fromEntries(
      (await s.signingKeys.keyStatuses(OPERATOR)).map((x) => [x.key.kid, x.state]),
    );
    assert.deepEqual(states, { [kidA]: "retired", [next.kid]: "active" });
  });

  test("the schedule rotates by itself, with the same overlap", async () => {
    const s = t.service;
    assert.equal(await s.signingKeys.maintainKeys(), undefined, "nothing due yet");
    t.clock.advance(30 * 24 * H);
    const k = await s.signingKeys.maintainKeys();
    assert.ok(k, "a key is created when the newest is 30 days old");
    assert.equal(k.activateAt, t.clock() + 24 * H);
    assert.equal(await s.signingKeys.maintainKeys(), undefined, "not twice");
    const audit = await s.audit.listAudit(OPERATOR, null, { action: "signing-key.rotate" });
    assert.equal(audit[0]?.actor, "system");
  });

  test("rotation stops before the JWKS would hold more than AWS's 100 keys of a type", async () => {
    const s = t.service;
    const es = (await s.signingKeys.keyStatuses(OPERATOR)).filter(
      (x) => x.key.alg === "ES256" && x.state !== "retired",
    ).length;
    for (let i = es; i < 100; i++)
      await s.signingKeys.rotate(OPERATOR, { immediate: true, algorithm: "ES256" });
    await assert.rejects(
      s.signingKeys.rotate(OPERATOR, { immediate: true, algorithm: "ES256" }),
      (e: Error) => /at most 100/.test(e.message),
    );
    const jwks = await s.signingKeys.jwks();
    assert.equal(jwks.keys.filter((k) => k.kty === "EC").length, 100);
  });
});
