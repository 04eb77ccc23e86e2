import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeJwt } from "jose";
import { OPERATOR } from "../../../src/issuer/authz.js";
import { acmeRun, type TestIssuer, testIssuer } from "../../support/issuer.js";
import { startPostgres, type TestPostgres } from "../../support/postgres.js";

/** The issuer's whole run lifecycle on PostgreSQL (the store several hosts share). */
describe("issuer on PostgreSQL", () => {
  let pg: TestPostgres | undefined;
  let t: TestIssuer | undefined;
  before(async () => {
    pg = await startPostgres();
    if (pg) t = await testIssuer({ database: pg.url });
  });
  after(async () => {
    await t?.close();
    pg?.stop();
  });

  test("create a run, mint for two audiences, audit, complete, refuse", async (c) => {
    if (!t) return c.skip("PostgreSQL binaries are not installed");
    const s = t.service;
    const { org, run } = await acmeRun(s, {
      organization: { allowedAudiences: ["sts.amazonaws.com", "vault"] },
      run: { timeoutSeconds: undefined }, // the organization's default
    });
    const a = await s.runs.mint(run.requestToken, run.run.id, { audience: "sts.amazonaws.com" });
    const b = await s.runs.mint(run.requestToken, run.run.id, { audience: "vault" });
    assert.equal(decodeJwt(a.value).sub, "org:acme:project:infra:env:prod:phase:apply");
    assert.equal(decodeJwt(b.value).aud, "vault");
    const audit = await s.audit.listAudit(OPERATOR, org.id, { action: "token.mint" });
    assert.equal(audit.length, 2);
    assert.equal(audit[0]?.kid, a.kid);
    assert.equal(typeof audit[0]?.tokenExp, "number");
    await s.runs.completeRun(OPERATOR, org.id, run.run.id, "succeeded");
    await assert.rejects(
      s.runs.mint(run.requestToken, run.run.id, {}),
      /succeeded; its request token is dead/,
    );
    assert.deepEqual(
      (await s.signingKeys.jwks()).keys.map((k) => k.kid),
      [a.kid],
    );
  });
});
