import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { catalogOf } from "../../../src/aws/iam/aws-managed.js";
import { iamMigrations } from "../../../src/aws/iam/migrations.js";
import { IamModel } from "../../../src/aws/iam/model.js";
import { PolicyModel } from "../../../src/aws/iam/policy-model.js";
import { KyselyPolicyRepository } from "../../../src/aws/iam/policy-repository.js";
import { KyselyIamRepository } from "../../../src/aws/iam/repository.js";
import { RolePolicyModel } from "../../../src/aws/iam/role-policies.js";
import type { IamTables } from "../../../src/aws/iam/tables.js";
import { enginePolicies } from "../../../src/aws/policies.js";
import { AwsError } from "../../../src/aws/wire/errors.js";
import { systemClock } from "../../../src/lib/clock.js";
import { cryptoIds } from "../../../src/lib/ids.js";
import { type Database, openDatabase } from "../../../src/store/database.js";
import { tempDir } from "../../support/tmp.js";

/**
 * The managed-policy rules apart from the wire: what a role's sessions would be evaluated against
 * (attached default versions, the boundary), and ListPolicies' filters
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html).
 */
const ACCOUNT = "123456789012";
const doc = (action: string) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
const READ_ONLY = {
  name: "ReadOnlyAccess",
  path: "/",
  id: "ANPAILL3HVNFSB6DCOWYQ",
  description: undefined,
  defaultVersion: "v3",
  document: doc("s3:Get*"),
  createdAt: "2015-02-06T18:39:48Z",
  updatedAt: "2024-01-01T00:00:00Z",
};

describe("managed policies: evaluated documents and ListPolicies filters", () => {
  const dir = tempDir();
  let database: Database<IamTables>;
  let policies: PolicyModel;
  let roles: RolePolicyModel;
  let iam: IamModel;

  before(async () => {
    database = await openDatabase<IamTables>(join(dir.path, "iam.db"), iamMigrations);
    const repo = new KyselyIamRepository(database.db);
    const policyRepo = new KyselyPolicyRepository(database.db);
    iam = new IamModel(repo, enginePolicies, systemClock, cryptoIds);
    policies = new PolicyModel(
      repo,
      policyRepo,
      catalogOf([READ_ONLY]),
      enginePolicies,
      systemClock,
      cryptoIds,
    );
    roles = new RolePolicyModel(iam, repo, policyRepo, policies);
  });
  after(async () => {
    await database.close();
    dir.cleanup();
  });

  test("a role's sessions are evaluated against its attached default versions and its boundary", async () => {
    const deploy = await policies.createPolicy(ACCOUNT, {
      name: "deploy",
      path: "/ci/",
      document: doc("s3:PutObject"),
      description: undefined,
      tags: undefined,
    });
    const boundary = await policies.createPolicy(ACCOUNT, {
      name: "boundary",
      path: undefined,
      document: doc("s3:*"),
      description: undefined,
      tags: undefined,
    });
    const role = await roles.createRole(ACCOUNT, {
      name: "runner",
      path: undefined,
      trustPolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:AssumeRole" }],
      }),
      description: undefined,
      maxSessionDuration: undefined,
      tags: undefined,
      permissionsBoundary: boundary.arn,
    });
    await roles.attachRolePolicy(ACCOUNT, "runner", deploy.arn);
    await roles.attachRolePolicy(ACCOUNT, "runner", "arn:aws:iam::aws:policy/ReadOnlyAccess");
    let evaluated = await roles.evaluatedDocuments(await iam.getRole(ACCOUNT, "runner"));
    assert.deepEqual(evaluated, {
      managed: [doc("s3:PutObject"), READ_ONLY.document],
      boundary: doc("s3:*"),
    });

    // A new default version is what counts from then on; a non-default one is not.
    await policies.createVersion(ACCOUNT, deploy.arn, doc("s3:DeleteObject"), false);
    evaluated = await roles.evaluatedDocuments(role);
    assert.ok(evaluated.managed.includes(doc("s3:PutObject")));
    await policies.setDefaultVersion(ACCOUNT, deploy.arn, "v2");
    evaluated = await roles.evaluatedDocuments(role);
    assert.ok(evaluated.managed.includes(doc("s3:DeleteObject")));
    assert.ok(!evaluated.managed.includes(doc("s3:PutObject")));
  });

  test("ListPolicies: Scope, OnlyAttached, PathPrefix, PolicyUsageFilter; an unknown Scope is a ValidationError", async () => {
    const names = async (f: Partial<Parameters<PolicyModel["listPolicies"]>[1]>) =>
      (
        await policies.listPolicies(ACCOUNT, {
          scope: undefined,
          onlyAttached: false,
          pathPrefix: undefined,
          usage: undefined,
          ...f,
        })
      ).map((p) => p.name);
    assert.deepEqual(await names({}), ["ReadOnlyAccess", "boundary", "deploy"]);
    assert.deepEqual(await names({ scope: "AWS" }), ["ReadOnlyAccess"]);
    assert.deepEqual(await names({ scope: "Local" }), ["boundary", "deploy"]);
    assert.deepEqual(await names({ pathPrefix: "/ci/" }), ["deploy"]);
    assert.deepEqual(await names({ onlyAttached: true }), ["ReadOnlyAccess", "deploy"]);
    assert.deepEqual(await names({ onlyAttached: true, usage: "PermissionsBoundary" }), ["boundary"]);
    await assert.rejects(
      names({ scope: "Everything" }),
      (e: AwsError) =>
        e instanceof AwsError && e.code === "ValidationError" && /enum value set/.test(e.message),
    );
  });
});
