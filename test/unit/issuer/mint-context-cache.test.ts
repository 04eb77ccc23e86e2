import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { kyselyIssuerRepository } from "../../../src/issuer/kysely-repository.js";
import { issuerMigrations } from "../../../src/issuer/migrations.js";
import { withMintContextCache } from "../../../src/issuer/mint-context-cache.js";
import type { Organization, OrganizationSettings, Run } from "../../../src/issuer/model.js";
import type { IssuerRepository } from "../../../src/issuer/repository.js";
import type { IssuerTables } from "../../../src/issuer/tables.js";
import { manualClock } from "../../../src/lib/clock.js";
import { type Database, openDatabase } from "../../../src/store/database.js";

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
const T0 = Date.UTC(2026, 10, 22, 12);
const org: Organization = { id: "o1", name: "acme", settings, createdAt: T0 };
const run = (id: string): Run => ({
  id,
  organizationId: "o1",
  projectId: "p1",
  environmentId: "e1",
  phase: "apply",
  deployer: "alice@example.com",
  attributes: {},
  status: "running",
  createdAt: T0,
  expiresAt: T0 + 3_600_000,
  completedAt: null,
});

/**
 * Two connections on one SQLite file, as two cluster workers (or a worker and `keyless` run beside it)
 * have: `here` is the cached repository of this process, `there` another connection writing behind its back.
 */
describe("mint context cache (SQLite, two connections on one file)", () => {
  let dir: string;
  let a: Database<IssuerTables>;
  let b: Database<IssuerTables>;
  let there: IssuerRepository;
  let here: IssuerRepository;
  let reads: number;
  const clock = manualClock(T0);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyless-mint-cache-"));
    a = await openDatabase<IssuerTables>(join(dir, "db.sqlite"), issuerMigrations);
    b = await openDatabase<IssuerTables>(join(dir, "db.sqlite"), issuerMigrations);
    there = kyselyIssuerRepository(b.db);
    await there.createOrganization(org);
    await there.createProject({
      id: "p1",
      organizationId: "o1",
      name: "infra",
      subTemplate: null,
      createdAt: T0,
    });
    await there.createEnvironment({
      id: "e1",
      organizationId: "o1",
      projectId: "p1",
      name: "prod",
      createdAt: T0,
    });
  });
  after(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    // Counts the context queries that reach the store (the real repository, only counted).
    const inner = kyselyIssuerRepository(a.db);
    reads = 0;
    here = withMintContextCache(
      {
        ...inner,
        getMintContext: (hash) => {
          reads++;
          return inner.getMintContext(hash);
        },
      },
      a.changeCounter,
      clock,
    );
  });

  test("a repeated mint reads the context once while nothing is committed", async () => {
    await there.createRun(run("r1"), "h1");
    assert.equal((await here.getMintContext("h1"))?.run.id, "r1");
    assert.equal((await here.getMintContext("h1"))?.run.id, "r1");
    assert.equal((await here.getMintContext("h1"))?.organization.name, "acme");
    assert.equal(reads, 1);
  });

  test("a run completed through another connection is seen by the next mint, before any TTL", async () => {
    await there.createRun(run("r2"), "h2");
    assert.equal((await here.getMintContext("h2"))?.run.status, "running");
    assert.equal(await there.completeRun("r2", "succeeded", T0 + 1), true);
    const ctx = await here.getMintContext("h2");
    assert.equal(ctx?.run.status, "succeeded");
    assert.equal(ctx?.run.completedAt, T0 + 1);
  });

  test("a run completed through this process is seen at once", async () => {
    await there.createRun(run("r3"), "h3");
    assert.equal((await here.getMintContext("h3"))?.run.status, "running");
    assert.equal(await here.completeRun("r3", "failed", T0 + 2), true);
    assert.equal((await here.getMintContext("h3"))?.run.status, "failed");
  });

  test("a run deleted with its environment through another connection is no longer found", async () => {
    await there.createEnvironment({
      id: "e9",
      organizationId: "o1",
      projectId: "p1",
      name: "gone",
      createdAt: T0,
    });
    await there.createRun({ ...run("r9"), environmentId: "e9" }, "h9");
    assert.equal((await here.getMintContext("h9"))?.run.id, "r9");
    assert.equal(await there.deleteEnvironment("e9"), true);
    assert.equal(await here.getMintContext("h9"), undefined);
  });

  test("settings changed through another connection apply within the 1 s TTL; through this one at once", async () => {
    await there.createRun(run("r4"), "h4");
    assert.equal((await here.getMintContext("h4"))?.organization.settings.maxLifetimeSeconds, 3600);
    await there.updateOrganization({ ...org, settings: { ...settings, maxLifetimeSeconds: 1800 } });
    // Within the TTL the organization read before is reused (the documented staleness) ...
    assert.equal((await here.getMintContext("h4"))?.organization.settings.maxLifetimeSeconds, 3600);
    clock.advance(1000);
    // ... and read again once it has passed.
    assert.equal((await here.getMintContext("h4"))?.organization.settings.maxLifetimeSeconds, 1800);
    await here.updateOrganization({ ...org, settings: { ...settings, maxLifetimeSeconds: 900 } });
    assert.equal((await here.getMintContext("h4"))?.organization.settings.maxLifetimeSeconds, 900);
    await here.updateOrganization(org);
  });

  test("audit appends do not drop the cache; unknown tokens are never cached", async () => {
    await there.createRun(run("r5"), "h5");
    await here.getMintContext("h5");
    const before = reads;
    await here.appendAudits([
      {
        id: "a1",
        at: T0,
        actor: "run:r5",
        action: "token.mint",
        organizationId: "o1",
        target: "r5",
        kid: null,
        tokenExp: null,
        details: {},
      },
    ]);
    await here.getMintContext("h5");
    assert.equal(reads, before, "this process's audit rows leave the contexts alone");
    assert.equal(await here.getMintContext("unknown"), undefined);
    assert.equal(await here.getMintContext("unknown"), undefined);
    assert.equal(reads, before + 2);
  });

  test("without a change counter (PostgreSQL) the repository is returned unchanged", () => {
    const inner = kyselyIssuerRepository(a.db);
    assert.equal(withMintContextCache(inner, undefined, clock), inner);
  });
});
