import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { OPERATOR } from "../../../src/issuer/authz.js";
import { IssuerProblem } from "../../../src/issuer/errors.js";
import { kekFromBytes } from "../../../src/issuer/kek.js";
import { AWS_SKEW_MS } from "../../../src/issuer/key-lifecycle.js";
import { kyselyIssuerRepository } from "../../../src/issuer/kysely-repository.js";
import { generateSigningKey } from "../../../src/issuer/signing-keys.js";
import { acmeRun, type TestIssuer, testIssuer } from "../../support/issuer.js";

const MIN = 60_000;
const H = 60 * MIN;

async function runOf(t: TestIssuer) {
  const s = t.service;
  const { run } = await acmeRun(s);
  return (lifetimeSeconds = 900) =>
    s.runs.mint(run.requestToken, run.run.id, { audience: "sts.amazonaws.com", lifetimeSeconds });
}

const states = async (t: TestIssuer) =>
  Object.fromEntries((await t.service.signingKeys.keyStatuses(OPERATOR)).map((s) => [s.key.kid, s.state]));
const published = async (t: TestIssuer) =>
  (await t.service.signingKeys.jwks()).keys.map((k) => k.kid as string);

describe("retiring keys never revives an older one", () => {
  let t: TestIssuer;
  before(async () => {
    t = await testIssuer();
  });
  after(() => t.close());

  test("rotate twice, retire the current key: refused (409), the superseded keys stay superseded", async () => {
    const mint = await runOf(t);
    const s = t.service.signingKeys;
    const a = (await s.current())!.kid;
    await mint();
    t.clock.advance(5 * MIN);
    const b = (await s.rotate(OPERATOR, { immediate: true })).kid;
    assert.equal((await mint()).kid, b);
    t.clock.advance(5 * MIN);
    const c = (await s.rotate(OPERATOR, { immediate: true })).kid;
    assert.equal((await mint()).kid, c);
    assert.deepEqual(await states(t), { [a]: "superseded", [b]: "superseded", [c]: "active" });
    const listed = (await t.call("GET", "/api/v1/signing-keys", t.adminKey)).json.signingKeys;
    assert.deepEqual(
      listed.map((k: { kid: string; state: string; supersededAt: string | null }) => [
        k.kid,
        k.state,
        k.supersededAt,
      ]),
      [
        [a, "superseded", new Date(t.clock() - 5 * MIN).toISOString()],
        [b, "superseded", new Date(t.clock()).toISOString()],
        [c, "active", null],
      ],
      "superseded keys are marked as such, with when",
    );

    const refused = await t.call("POST", `/api/v1/signing-keys/${c}/retire`, t.adminKey);
    assert.equal(refused.status, 409);
    assert.match(refused.type, /^application\/problem\+json/);
    assert.equal(refused.json.type, "https://keyless.dev/problems/conflict");
    assert.match(refused.json.detail, /only key that can sign; run `keyless keys rotate`/);
    assert.equal(refused.json.state, "active");
    assert.equal((await mint()).kid, c, "c still signs; b did not come back");
    assert.deepEqual(await states(t), { [a]: "superseded", [b]: "superseded", [c]: "active" });

    // A superseded key may be retired: it never signs again either way, and stays published for its tokens.
    await s.retire(OPERATOR, b);
    assert.deepEqual(await states(t), { [a]: "superseded", [b]: "retiring", [c]: "active" });
    assert.ok((await published(t)).includes(b));
    await assert.rejects(
      s.retire(OPERATOR, b),
      (e: unknown) =>
        e instanceof IssuerProblem && e.status === 409 && /is retiring; it cannot be retired/.test(e.detail),
    );
    await assert.rejects(
      s.retire(OPERATOR, "no-such-kid"),
      (e: unknown) => e instanceof IssuerProblem && e.status === 404,
    );

    // Past every token's exp + AWS's skew: both old keys leave the JWKS, and neither ever signs again.
    t.clock.advance(H + AWS_SKEW_MS);
    assert.deepEqual(await states(t), { [a]: "retired", [b]: "retired", [c]: "active" });
    assert.deepEqual(await published(t), [c]);
    await assert.rejects(s.retire(OPERATOR, a), /is retired; it cannot be retired/);
    assert.equal((await mint()).kid, c);
  });

  test("a pending key can be retired (a cancelled rotation) and never signs", async () => {
    const s = t.service.signingKeys;
    const active = (await s.current())!.kid;
    const p = (await s.rotate(OPERATOR)).kid;
    assert.equal((await states(t))[p], "pending");
    await s.retire(OPERATOR, p);
    assert.equal((await states(t))[p], "retiring");
    t.clock.advance(25 * H);
    assert.equal((await s.current())!.kid, active, "its activation time passed unused");
    assert.equal((await states(t))[p], "retired");
  });
});

describe("successive retires on a store with history", () => {
  let t: TestIssuer;
  before(async () => {
    t = await testIssuer();
  });
  after(() => t.close());

  test("never revive a key that had expired, nor republish it", async () => {
    const s = t.service.signingKeys;
    const repo = kyselyIssuerRepository(t.database.db);
    const kek = kekFromBytes(Buffer.alloc(32, 7)); // testIssuer's KEK
    const mint = await runOf(t);
    const t0 = t.clock();
    const a = (await s.current())!.kid;
    // History as an older version left it: keys taken over an hour apart, the last one retired while it
    // signed (older versions allowed it, and then signed with the previous key again), each key with a
    // token in the audit.
    const kids = [a];
    for (let i = 1; i <= 3; i++) {
      const k = await generateSigningKey("RS256", kek, { createdAt: t0 + i * H, activateAt: t0 + i * H });
      await repo.insertSigningKey(i === 3 ? { ...k, retiredAt: t0 + 4 * H } : k);
      kids.push(k.kid);
    }
    const [, b, c, d] = kids as [string, string, string, string];
    const exps: [string, number][] = [
      [a, t0 + 1.25 * H],
      [b, t0 + 2.25 * H],
      [c, t0 + 3.25 * H],
      [c, t0 + 5 * H], // signed again after d's retirement, by an older version
      [d, t0 + 4.25 * H],
    ];
    for (const [i, [kid, exp]] of exps.entries()) {
      await repo.appendAudit({
        id: `history-${i}`,
        at: exp - 900_000,
        actor: "run:history",
        action: "token.mint",
        organizationId: null,
        target: null,
        kid,
        tokenExp: exp / 1000,
        details: {},
      });
    }

    t.clock.set(t0 + 4.3 * H);
    assert.deepEqual(
      await states(t),
      { [a]: "retired", [b]: "retired", [c]: "superseded", [d]: "retiring" },
      "c stays superseded: the token it signed after d's retirement keeps it published, nothing more",
    );
    assert.deepEqual((await published(t)).sort(), [c, d].sort());
    assert.equal(await s.current(), undefined, "no key signs: none of the older keys comes back");
    await assert.rejects(mint(), (e: unknown) => e instanceof IssuerProblem && e.type === "no-signing-key");

    t.clock.set(t0 + 10 * H);
    assert.deepEqual(await published(t), [], "every old key has left the JWKS");
    const e = (await s.maintainKeys())!;
    assert.equal(e.activateAt, t.clock(), "the scheduler bootstraps a fresh key instead");
    assert.equal((await mint()).kid, e.kid);

    // Successive retires of every old key, newest first (each used to revive the one before it).
    for (const kid of [d, c, b, a]) {
      await assert.rejects(s.retire(OPERATOR, kid), /is retired; it cannot be retired/);
      assert.deepEqual(await published(t), [e.kid], `after retiring ${kid}`);
      assert.equal((await s.current())?.kid, e.kid);
    }
    assert.deepEqual(await states(t), {
      [a]: "retired",
      [b]: "retired",
      [c]: "retired",
      [d]: "retired",
      [e.kid]: "active",
    });
  });
});
