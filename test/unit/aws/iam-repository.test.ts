import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { iamMigrations } from "../../../src/aws/iam/migrations.js";
import { KyselyPolicyRepository } from "../../../src/aws/iam/policy-repository.js";
import { KyselyIamRepository } from "../../../src/aws/iam/repository.js";
import type { IamTables } from "../../../src/aws/iam/tables.js";
import { type Database, openDatabase } from "../../../src/store/database.js";
import { startPostgres, type TestPostgres } from "../../support/postgres.js";
import { tempDir } from "../../support/tmp.js";

/** The same repository suite on both dialects. */
function suite(name: string, open: () => Promise<Database<IamTables> | undefined>) {
  describe(`IAM repository on ${name}`, () => {
    let database: Database<IamTables> | undefined;
    before(async () => {
      database = await open();
    });
    after(() => database?.close());

    test("providers: insert once per account and URL, update, list, delete", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      const repo = new KyselyIamRepository(database.db);
      const p = {
        account: "111111111111",
        url: "idp.test/",
        clientIds: ["a"],
        thumbprints: [],
        tags: [{ Key: "k", Value: "v" }],
        createdAt: "2026-01-01T00:00:00Z",
      };
      assert.equal(await repo.insertProvider(p), true);
      assert.equal(await repo.insertProvider(p), false);
      assert.equal(
        await repo.insertProvider({ ...p, url: "idp.test" }),
        true,
        "a trailing slash makes another provider",
      );
      assert.equal(await repo.insertProvider({ ...p, account: "222222222222" }), true);
      await repo.updateProvider({ ...p, clientIds: ["a", "b"] });
      assert.deepEqual((await repo.getProvider(p.account, p.url))?.clientIds, ["a", "b"]);
      assert.deepEqual(
        (await repo.listProviders(p.account)).map((x) => x.url),
        ["idp.test", "idp.test/"],
      );
      await repo.deleteProvider(p.account, p.url);
      assert.equal(await repo.getProvider(p.account, p.url), undefined);
    });

    test("roles: names unique case-insensitively, inline policies go with the role", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      const repo = new KyselyIamRepository(database.db);
      const role = {
        account: "111111111111",
        name: "Deployer",
        id: "AROAAAAAAAAAAAAAAAAAA",
        path: "/ci/",
        trustPolicy: "{}",
        description: undefined,
        maxSessionDuration: 3600,
        tags: [],
        createdAt: "2026-01-01T00:00:00Z",
      };
      assert.equal(await repo.insertRole(role), true);
      assert.equal(await repo.insertRole({ ...role, name: "deployer", id: "AROABBBBBBBBBBBBBBBBB" }), false);
      assert.equal((await repo.getRole(role.account, "DEPLOYER"))?.name, "Deployer");
      await repo.updateRole({ ...role, description: "d", maxSessionDuration: 7200 });
      const got = await repo.getRole(role.account, "deployer");
      assert.equal(got?.description, "d");
      assert.equal(got?.maxSessionDuration, 7200);
      assert.equal(await repo.countRoles(role.account), 1);
      await repo.putRolePolicy(role.account, "Deployer", "p1", '{"a":1}');
      await repo.putRolePolicy(role.account, "Deployer", "p1", '{"a":2}');
      assert.equal(await repo.getRolePolicy(role.account, "deployer", "p1"), '{"a":2}');
      assert.deepEqual(
        (await repo.listRolePolicies(role.account, "Deployer")).map((p) => p.name),
        ["p1"],
      );
      await repo.deleteRole(role.account, "Deployer");
      assert.equal(await repo.getRole(role.account, "Deployer"), undefined);
      assert.deepEqual(await repo.listRolePolicies(role.account, "Deployer"), []);
      assert.equal(await repo.deleteRolePolicy(role.account, "Deployer", "p1"), false);
    });

    test("managed policies: names unique case-insensitively, versions in number order, attachments, boundary column", async (t) => {
      if (!database) return t.skip("PostgreSQL binaries are not installed");
      const repo = new KyselyPolicyRepository(database.db);
      const roles = new KyselyIamRepository(database.db);
      const account = "333333333333";
      const policy = {
        account,
        name: "Deploy",
        id: "ANPAAAAAAAAAAAAAAAAAA",
        path: "/ci/",
        description: undefined,
        defaultVersion: "v1",
        nextVersion: 2,
        tags: [],
        createdAt: "2026-01-01T00:00:00Z",
        updatedAt: "2026-01-01T00:00:00Z",
      };
      const v1 = { versionId: "v1", document: '{"v":1}', createdAt: policy.createdAt };
      assert.equal(await repo.insertPolicy(policy, v1), true);
      assert.equal(
        await repo.insertPolicy({ ...policy, name: "deploy", id: "ANPABBBBBBBBBBBBBBBBB" }, v1),
        false,
      );
      for (const n of [2, 10, 9]) await repo.insertVersion(account, "deploy", { ...v1, versionId: `v${n}` });
      assert.deepEqual(
        (await repo.listVersions(account, "Deploy")).map((v) => v.versionId),
        ["v1", "v2", "v9", "v10"],
      );
      await repo.updatePolicy({ ...policy, defaultVersion: "v10", nextVersion: 11 });
      assert.equal((await repo.getPolicy(account, "DEPLOY"))?.defaultVersion, "v10");
      await repo.deleteVersion(account, "Deploy", "v2");
      assert.equal(await repo.getVersion(account, "Deploy", "v2"), undefined);

      const arn = `arn:aws:iam::${account}:policy/ci/Deploy`;
      const role = {
        account,
        name: "Runner",
        id: "AROACCCCCCCCCCCCCCCCC",
        path: "/",
        trustPolicy: "{}",
        description: undefined,
        maxSessionDuration: 3600,
        tags: [],
        createdAt: "2026-01-01T00:00:00Z",
        permissionsBoundary: arn,
      };
      await roles.insertRole(role);
      assert.equal((await roles.getRole(account, "runner"))?.permissionsBoundary, arn);
      await repo.attachToRole(account, "Runner", arn);
      await repo.attachToRole(account, "runner", arn);
      assert.deepEqual(await repo.attachedToRole(account, "RUNNER"), [arn]);
      assert.deepEqual(await repo.rolesAttachedTo(account, arn), ["runner"]);
      assert.deepEqual(await repo.attachments(account), [{ roleKey: "runner", policyArn: arn }]);
      assert.equal(await repo.detachFromRole(account, "Runner", arn), true);
      assert.equal(await repo.detachFromRole(account, "Runner", arn), false);
      await repo.attachToRole(account, "Runner", arn);
      await roles.deleteRole(account, "Runner");
      assert.deepEqual(await repo.attachments(account), [], "a deleted role takes its attachments along");
      await repo.deletePolicy(account, "deploy");
      assert.equal(await repo.getPolicy(account, "Deploy"), undefined);
      assert.deepEqual(await repo.listVersions(account, "Deploy"), []);
    });
  });
}

const dir = tempDir();
after(() => dir.cleanup());
suite("SQLite", () => openDatabase<IamTables>(join(dir.path, "iam.db"), iamMigrations));

let pg: TestPostgres | undefined;
after(() => pg?.stop());
suite("PostgreSQL", async () => {
  pg = await startPostgres();
  return pg ? openDatabase<IamTables>(pg.url, iamMigrations) : undefined;
});
