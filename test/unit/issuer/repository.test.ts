import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { kyselyIssuerRepository } from "../../../src/issuer/kysely-repository.js";
import { issuerMigrations } from "../../../src/issuer/migrations.js";
import type { Organization, OrganizationSettings, Run } from "../../../src/issuer/model.js";
import { DuplicateError, type IssuerRepository } from "../../../src/issuer/repository.js";
import type { IssuerTables } from "../../../src/issuer/tables.js";
import { type Database, openDatabase } from "../../../src/store/database.js";
import { startPostgres, type TestPostgres } from "../../support/postgres.js";

const settings: OrganizationSettings = {
  profile: "keyless",
  issuerUrl: null,
  subTemplate: null,
  allowedAudiences: ["sts.amazonaws.com"],
  defaultAudience: "sts.amazonaws.com",
  defaultLifetimeSeconds: 900,
  maxLifetimeSeconds: 3600,
  runTimeoutSeconds: 21600,
  sessionTags: { enabled: false, keys: [], transitive: [] },
  profileOptions: {},
};

const T0 = 1_790_000_000_000; // beyond 2^31 seconds-as-ms on purpose: bigint columns must round-trip

/** One suite, run against each dialect. */
function repositorySuite(name: string, open: () => Promise<Database<IssuerTables> | undefined>): void {
  describe(`issuer repository on ${name}`, () => {
    let database: Database<IssuerTables> | undefined;
    let repo: IssuerRepository;
    before(async () => {
      database = await open();
      if (database) repo = kyselyIssuerRepository(database.db);
    });
    after(async () => database?.close());

    const org: Organization = { id: "o1", name: "acme", settings, createdAt: T0 };
    const run: Run = {
      id: "r1",
      organizationId: "o1",
      projectId: "p1",
      environmentId: "e1",
      phase: "apply",
      deployer: "alice@example.com",
      attributes: { ref: "refs/heads/main", commit: "abc" },
      status: "running",
      createdAt: T0,
      expiresAt: T0 + 3_600_000,
      completedAt: null,
    };

    test("organizations, projects and environments round-trip; names are unique in their parent", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      await repo.createOrganization(org);
      assert.deepEqual(await repo.getOrganization("o1"), org);
      await assert.rejects(repo.createOrganization({ ...org, id: "o2" }), DuplicateError);
      await repo.createProject({
        id: "p1",
        organizationId: "o1",
        name: "infra",
        subTemplate: null,
        createdAt: T0,
      });
      await assert.rejects(
        repo.createProject({
          id: "p9",
          organizationId: "o1",
          name: "infra",
          subTemplate: null,
          createdAt: T0,
        }),
        DuplicateError,
      );
      await repo.createEnvironment({
        id: "e1",
        organizationId: "o1",
        projectId: "p1",
        name: "prod",
        createdAt: T0,
      });
      await repo.createEnvironment({
        id: "e2",
        organizationId: "o1",
        projectId: "p1",
        name: "dev",
        createdAt: T0,
      });
      assert.deepEqual(
        (await repo.listEnvironments("p1")).map((e) => e.name),
        ["dev", "prod"],
      );
      await repo.updateProject({
        id: "p1",
        organizationId: "o1",
        name: "infra",
        subTemplate: "p:{project}",
        createdAt: T0,
      });
      assert.equal((await repo.getProject("p1"))?.subTemplate, "p:{project}");
      await repo.updateOrganization({ ...org, settings: { ...settings, maxLifetimeSeconds: 7200 } });
      assert.equal((await repo.getOrganization("o1"))?.settings.maxLifetimeSeconds, 7200);
      await repo.updateOrganization(org);
    });

    test("runs are found by the hash of their request token and complete once", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      await repo.createRun(run, "h1");
      assert.deepEqual(await repo.getRunByRequestTokenHash("h1"), run);
      assert.equal(await repo.getRunByRequestTokenHash("nope"), undefined);
      const ctx = await repo.getMintContext("h1");
      assert.deepEqual(ctx?.run, run);
      assert.deepEqual(ctx?.organization, org);
      assert.equal(ctx?.project.name, "infra");
      assert.equal(ctx?.environment.name, "prod");
      assert.equal(await repo.getMintContext("nope"), undefined);
      assert.equal(await repo.completeRun("r1", "succeeded", T0 + 5), true);
      assert.equal(await repo.completeRun("r1", "failed", T0 + 6), false, "a final status is final");
      const done = await repo.getRun("r1");
      assert.equal(done?.status, "succeeded");
      assert.equal(done?.completedAt, T0 + 5);
      assert.equal((await repo.listRuns({ organizationId: "o1", limit: 10 })).length, 1);
    });

    test("API keys keep their scope shape and are found by secret hash", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      await repo.createApiKey(
        { id: "k1", name: "root", scope: { kind: "admin" }, createdAt: T0, revokedAt: null },
        "s1",
      );
      await repo.createApiKey(
        {
          id: "k2",
          name: "ci",
          scope: { kind: "runner", organizationId: "o1", projectId: "p1" },
          createdAt: T0,
          revokedAt: null,
        },
        "s2",
      );
      await repo.createApiKey(
        {
          id: "k3",
          name: "ops",
          scope: { kind: "org_admin", organizationId: "o1" },
          createdAt: T0,
          revokedAt: null,
        },
        "s3",
      );
      assert.deepEqual((await repo.getApiKeyBySecretHash("s2"))?.scope, {
        kind: "runner",
        organizationId: "o1",
        projectId: "p1",
      });
      assert.equal(await repo.countActiveAdminKeys(), 1);
      assert.deepEqual(
        (await repo.listApiKeys("o1")).map((k) => k.id),
        ["k2", "k3"],
      );
      assert.deepEqual(
        (await repo.listApiKeys(null)).map((k) => k.id),
        ["k1"],
      );
      assert.equal(await repo.revokeApiKey("k3", T0 + 1), true);
      assert.equal(await repo.revokeApiKey("k3", T0 + 2), false);
      assert.equal((await repo.getApiKey("k3"))?.revokedAt, T0 + 1);
    });

    test("signing keys and the audit log; a key's last token expiry comes from the audit", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      await repo.insertSigningKey({
        kid: "kid1",
        alg: "ES256",
        publicJwk: { kty: "EC", crv: "P-256", x: "x", y: "y" },
        privateKeySealed: "v1.a.b.c",
        createdAt: T0,
        activateAt: T0,
        retiredAt: null,
      });
      assert.deepEqual(
        (await repo.listSigningKeysWithLastExpiry()).map((r) => r.lastTokenExp),
        [null],
      );
      await repo.appendAudits([]);
      for (const [i, exp] of [1_790_000_900, 1_790_003_600, 1_790_001_000].entries()) {
        await repo.appendAudit({
          id: `a${i}`,
          at: T0 + i,
          actor: "run:r1",
          action: "token.mint",
          organizationId: "o1",
          target: "r1",
          kid: "kid1",
          tokenExp: exp,
          details: { jti: `j${i}`, audience: "sts.amazonaws.com" },
        });
      }
      const page = await repo.listAudit({ organizationId: "o1", limit: 2 });
      assert.deepEqual(
        page.map((e) => e.id),
        ["a2", "a1"],
      );
      assert.deepEqual(page[0]?.details, { jti: "j2", audience: "sts.amazonaws.com" });
      await repo.insertSigningKey({
        kid: "kid2",
        alg: "RS256",
        publicJwk: { kty: "RSA", n: "n", e: "AQAB" },
        privateKeySealed: "v1.a.b.c",
        createdAt: T0 + 1,
        activateAt: T0 + 5,
        retiredAt: null,
      });
      assert.deepEqual(
        (await repo.listSigningKeysWithLastExpiry()).map((r) => [r.key.kid, r.lastTokenExp]),
        [
          ["kid1", 1_790_003_600],
          ["kid2", null],
        ],
        "each key with its last token's exp, read in one statement",
      );
      assert.equal(await repo.retireSigningKey("kid1", T0 + 9), true);
      assert.equal((await repo.listSigningKeys())[0]?.retiredAt, T0 + 9);
      assert.equal(await repo.retireSigningKey("kid1", T0 + 20), false, "set once, never moved");
      assert.equal(await repo.retireSigningKey("nope", T0 + 20), false);
      assert.equal((await repo.listSigningKeys())[0]?.retiredAt, T0 + 9);
    });

    test("a failed transaction leaves nothing behind", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      await assert.rejects(
        repo.transaction(async (tx) => {
          await tx.createProject({
            id: "p2",
            organizationId: "o1",
            name: "other",
            subTemplate: null,
            createdAt: T0,
          });
          await tx.createProject({
            id: "p3",
            organizationId: "o1",
            name: "other",
            subTemplate: null,
            createdAt: T0,
          });
        }),
        DuplicateError,
      );
      assert.equal(await repo.getProject("p2"), undefined);
    });

    test("console sessions and codes: hashes and a key id, a code taken once, expired rows swept", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      const session = { idHash: "s1", csrfHash: "c1", apiKeyId: "k1", createdAt: T0, expiresAt: T0 + 60_000 };
      await repo.createConsoleSession(session);
      assert.deepEqual(await repo.getConsoleSession("s1"), session);
      await repo.createConsoleCode("code1", "k1", T0 + 30_000);
      assert.deepEqual(await repo.takeConsoleCode("code1"), { apiKeyId: "k1", expiresAt: T0 + 30_000 });
      assert.equal(await repo.takeConsoleCode("code1"), undefined, "a code is taken once");
      await repo.createConsoleCode("code2", "k1", T0 + 30_000);
      const [a, b] = await Promise.all([repo.takeConsoleCode("code2"), repo.takeConsoleCode("code2")]);
      assert.equal([a, b].filter(Boolean).length, 1, "two redeemers: one gets the code");
      await repo.createConsoleCode("code3", "k1", T0 + 30_000);
      // A session made after the first expired sweeps it and the expired code.
      await repo.createConsoleSession({
        ...session,
        idHash: "s2",
        createdAt: T0 + 60_000,
        expiresAt: T0 + 120_000,
      });
      assert.equal(await repo.getConsoleSession("s1"), undefined);
      assert.equal(await repo.takeConsoleCode("code3"), undefined);
      assert.equal((await repo.getConsoleSession("s2"))?.apiKeyId, "k1");
      await repo.deleteConsoleSession("s2");
      assert.equal(await repo.getConsoleSession("s2"), undefined);
    });

    test("deleting an organization removes everything under it", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      assert.equal(await repo.deleteOrganization("o1"), true);
      assert.equal(await repo.getRun("r1"), undefined);
      assert.equal(await repo.getApiKey("k2"), undefined);
      assert.equal((await repo.getApiKey("k1"))?.id, "k1", "global keys stay");
      assert.equal(await repo.deleteOrganization("o1"), false);
    });
  });
}

repositorySuite("SQLite", () => openDatabase<IssuerTables>(":memory:", issuerMigrations));

let server: TestPostgres | undefined;
after(() => server?.stop());
repositorySuite("PostgreSQL", async () => {
  server = await startPostgres();
  return server && openDatabase<IssuerTables>(server.url, issuerMigrations);
});
