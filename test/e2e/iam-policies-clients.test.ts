import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCommand } from "../support/cli.js";
import { awsAdmin, isolatedEnv, type RunningEmulator, startEmulator } from "../support/emulator.js";
import { tempDir } from "../support/tmp.js";

/**
 * Managed policies, versions, attachments, boundaries and instance profiles through boto3 and the AWS
 * CLI v1, unmodified, against a `keyless emulator` process: each action's happy path and IAM's error for
 * each documented misuse (the Errors section of each action in
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html).
 */
const ACCOUNT = "123456789012";

/** Runs steps in order; each prints one JSON line: the result it picked, or the error code and message. */
const BOTO3 = String.raw`
import json, boto3
iam = boto3.client("iam")
out = {}
def step(name, call):
    try:
        out[name] = {"ok": call()}
    except iam.exceptions.ClientError as e:
        out[name] = {"error": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
doc = lambda *actions: json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
P = "arn:aws:iam::${ACCOUNT}:policy/team/p1"

step("create", lambda: iam.create_policy(PolicyName="p1", Path="/team/", PolicyDocument=doc("s3:GetObject"), Description="d", Tags=[{"Key": "k", "Value": "v"}])["Policy"])
step("create_again", lambda: iam.create_policy(PolicyName="P1", PolicyDocument=doc("s3:GetObject")))
step("create_malformed", lambda: iam.create_policy(PolicyName="bad", PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}'))
step("create_too_big", lambda: iam.create_policy(PolicyName="big", PolicyDocument=doc(*["s3:GetObject%04d" % i for i in range(500)])))
step("get", lambda: iam.get_policy(PolicyArn=P)["Policy"])
step("get_missing", lambda: iam.get_policy(PolicyArn="arn:aws:iam::${ACCOUNT}:policy/nope"))
step("get_other_path", lambda: iam.get_policy(PolicyArn="arn:aws:iam::${ACCOUNT}:policy/p1"))
step("bad_arn", lambda: iam.get_policy(PolicyArn="arn:aws:iam::${ACCOUNT}:role/not-a-policy"))
for v in range(2, 6):
    step("version%d" % v, lambda: iam.create_policy_version(PolicyArn=P, PolicyDocument=doc("s3:PutObject"), SetAsDefault=(v == 5))["PolicyVersion"])
step("version_sixth", lambda: iam.create_policy_version(PolicyArn=P, PolicyDocument=doc("s3:PutObject")))
step("versions", lambda: [(v["VersionId"], v["IsDefaultVersion"]) for v in iam.list_policy_versions(PolicyArn=P)["Versions"]])
step("delete_default_version", lambda: iam.delete_policy_version(PolicyArn=P, VersionId="v5"))
step("set_default", lambda: iam.set_default_policy_version(PolicyArn=P, VersionId="v2") and iam.get_policy(PolicyArn=P)["Policy"]["DefaultVersionId"])
step("get_version", lambda: iam.get_policy_version(PolicyArn=P, VersionId="v2")["PolicyVersion"])
step("get_version_missing", lambda: iam.get_policy_version(PolicyArn=P, VersionId="v9"))
step("get_version_bad_id", lambda: iam.get_policy_version(PolicyArn=P, VersionId="version1"))
step("delete_with_versions", lambda: iam.delete_policy(PolicyArn=P))

iam.create_role(RoleName="r1", AssumeRolePolicyDocument=trust)
step("attach", lambda: iam.attach_role_policy(RoleName="r1", PolicyArn=P)["ResponseMetadata"]["HTTPStatusCode"])
step("attach_missing_policy", lambda: iam.attach_role_policy(RoleName="r1", PolicyArn="arn:aws:iam::${ACCOUNT}:policy/nope"))
step("attach_missing_role", lambda: iam.attach_role_policy(RoleName="nobody", PolicyArn=P))
step("attached", lambda: iam.list_attached_role_policies(RoleName="r1")["AttachedPolicies"])
step("entities", lambda: [r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=P)["PolicyRoles"]])
step("count", lambda: iam.get_policy(PolicyArn=P)["Policy"]["AttachmentCount"])
step("delete_attached", lambda: iam.delete_policy(PolicyArn=P))
step("delete_role_attached", lambda: iam.delete_role(RoleName="r1"))
for i in range(10):
    iam.create_policy(PolicyName="q%d" % i, PolicyDocument=doc("sqs:SendMessage"))
for i in range(9):
    iam.attach_role_policy(RoleName="r1", PolicyArn="arn:aws:iam::${ACCOUNT}:policy/q%d" % i)
step("attach_eleventh", lambda: iam.attach_role_policy(RoleName="r1", PolicyArn="arn:aws:iam::${ACCOUNT}:policy/q9"))
pages = iam.get_paginator("list_policies").paginate(Scope="Local", PaginationConfig={"PageSize": 4})
step("paged", lambda: [[p["PolicyName"] for p in page["Policies"]] for page in pages])
first = iam.list_policies(Scope="Local", MaxItems=4)
step("first_page", lambda: {"IsTruncated": first["IsTruncated"], "HasMarker": "Marker" in first, "n": len(first["Policies"])})
step("attached_paged", lambda: [len(page["AttachedPolicies"]) for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName="r1", PaginationConfig={"PageSize": 3})])
step("detach_not_attached", lambda: iam.detach_role_policy(RoleName="r1", PolicyArn="arn:aws:iam::${ACCOUNT}:policy/q9"))

step("boundary", lambda: iam.put_role_permissions_boundary(RoleName="r1", PermissionsBoundary=P) and iam.get_role(RoleName="r1")["Role"]["PermissionsBoundary"])
step("boundary_missing", lambda: iam.put_role_permissions_boundary(RoleName="r1", PermissionsBoundary="arn:aws:iam::${ACCOUNT}:policy/nope"))
step("boundary_usage", lambda: iam.get_policy(PolicyArn=P)["Policy"]["PermissionsBoundaryUsageCount"])
step("boundary_entities", lambda: [r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=P, PolicyUsageFilter="PermissionsBoundary")["PolicyRoles"]])
step("boundary_deleted", lambda: iam.delete_role_permissions_boundary(RoleName="r1") and "PermissionsBoundary" in iam.get_role(RoleName="r1")["Role"])
step("create_role_boundary", lambda: iam.create_role(RoleName="r2", AssumeRolePolicyDocument=trust, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")["Role"]["PermissionsBoundary"])
step("create_role_boundary_missing", lambda: iam.create_role(RoleName="r3", AssumeRolePolicyDocument=trust, PermissionsBoundary="arn:aws:iam::aws:policy/NoSuchManagedPolicy"))

step("aws_managed", lambda: sorted(p["PolicyName"] for p in iam.get_paginator("list_policies").paginate(Scope="AWS").build_full_result()["Policies"] if p["PolicyName"] in ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess")))
step("admin_document", lambda: iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess", VersionId=iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]["DefaultVersionId"])["PolicyVersion"]["Document"])
step("attach_aws_managed", lambda: iam.attach_role_policy(RoleName="r2", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess") and [(p["PolicyName"], p["AttachmentCount"]) for p in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]])
step("delete_aws_managed", lambda: iam.delete_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"))

step("tags", lambda: iam.tag_policy(PolicyArn=P, Tags=[{"Key": "k2", "Value": "v2"}]) and iam.untag_policy(PolicyArn=P, TagKeys=["k"]) and iam.list_policy_tags(PolicyArn=P)["Tags"])
def details():
    d = iam.get_account_authorization_details()
    r1 = [r for r in d["RoleDetailList"] if r["RoleName"] == "r1"][0]
    roles_only = iam.get_account_authorization_details(Filter=["Role"])
    return {
        "roles": sorted(r["RoleName"] for r in d["RoleDetailList"]),
        "r1_attached": len(r1["AttachedManagedPolicies"]),
        "r1_trust": r1["AssumeRolePolicyDocument"]["Statement"][0]["Action"],
        "aws": sorted(p["PolicyName"] for p in d["Policies"] if p["Arn"].startswith("arn:aws:iam::aws:")),
        "p1_versions": len([p for p in d["Policies"] if p["Arn"] == P][0]["PolicyVersionList"]),
        "roles_only_policies": len(roles_only["Policies"]),
    }
step("details", details)
step("instance_profiles", lambda: iam.list_instance_profiles_for_role(RoleName="r1")["InstanceProfiles"])
step("instance_profiles_missing", lambda: iam.list_instance_profiles_for_role(RoleName="nobody"))

def cleanup():
    for a in iam.list_attached_role_policies(RoleName="r1")["AttachedPolicies"]:
        iam.detach_role_policy(RoleName="r1", PolicyArn=a["PolicyArn"])
    for v in ("v1", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=P, VersionId=v)
    iam.delete_policy(PolicyArn=P)
    iam.delete_role(RoleName="r1")
    return [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
step("cleanup", cleanup)
print(json.dumps(out, default=str))
`;

describe("managed policies through boto3 and the AWS CLI", () => {
  const dir = tempDir("keyless-iam-policies-");
  let emulator: RunningEmulator;

  before(async () => {
    emulator = await startEmulator(join(dir.path, "data"), ["--account", ACCOUNT]);
  });
  after(async () => {
    await emulator?.stop();
    dir.cleanup();
  });

  test("boto3: every action's happy path, and IAM's error for each misuse", async () => {
    const env = isolatedEnv(join(dir.path, "boto3"), {
      AWS_ACCESS_KEY_ID: ACCOUNT,
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ENDPOINT_URL: emulator.endpoint,
    });
    const r = await runCommand("python3", ["-c", BOTO3], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const ok = (name: string) => {
      assert.ok("ok" in out[name], `${name}: ${JSON.stringify(out[name])}`);
      return out[name].ok;
    };
    const err = (name: string, code: string, message?: string | RegExp) => {
      assert.equal(out[name].error, code, `${name}: ${JSON.stringify(out[name])}`);
      if (typeof message === "string") assert.equal(out[name].message, message);
      else if (message) assert.match(out[name].message, message);
    };
    const P = `arn:aws:iam::${ACCOUNT}:policy/team/p1`;

    const created = ok("create");
    assert.equal(created.Arn, P);
    assert.equal(created.DefaultVersionId, "v1");
    assert.equal(created.Path, "/team/");
    assert.match(created.PolicyId, /^ANPA[A-Z2-7]{17}$/);
    assert.deepEqual(created.Tags, [{ Key: "k", Value: "v" }]);
    err(
      "create_again",
      "EntityAlreadyExists",
      "A policy called P1 already exists. Duplicate names are not allowed.",
    );
    err("create_malformed", "MalformedPolicyDocument");
    err("create_too_big", "LimitExceeded", "Cannot exceed quota for PolicySize: 6144");
    assert.equal(ok("get").Description, "d");
    err("get_missing", "NoSuchEntity", `Policy arn:aws:iam::${ACCOUNT}:policy/nope was not found.`);
    err("get_other_path", "NoSuchEntity");
    err("bad_arn", "InvalidInput", `ARN arn:aws:iam::${ACCOUNT}:role/not-a-policy is not valid.`);
    assert.equal(ok("version5").VersionId, "v5");
    assert.equal(ok("version5").IsDefaultVersion, true);
    err(
      "version_sixth",
      "LimitExceeded",
      "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
    );
    assert.deepEqual(ok("versions"), [
      ["v5", true],
      ["v4", false],
      ["v3", false],
      ["v2", false],
      ["v1", false],
    ]);
    err("delete_default_version", "DeleteConflict", "Cannot delete the default version of a policy.");
    assert.equal(ok("set_default"), "v2");
    const v2 = ok("get_version");
    assert.deepEqual(v2.Document.Statement[0].Action, ["s3:PutObject"]);
    assert.equal(v2.IsDefaultVersion, true);
    err("get_version_missing", "NoSuchEntity", /version v9 does not exist/);
    err("get_version_bad_id", "ValidationError", /at 'versionId' failed to satisfy constraint/);
    err("delete_with_versions", "DeleteConflict", /This policy has more than one version/);

    assert.equal(ok("attach"), 200);
    err("attach_missing_policy", "NoSuchEntity", /does not exist or is not attachable/);
    err("attach_missing_role", "NoSuchEntity", "The role with name nobody cannot be found.");
    assert.deepEqual(ok("attached"), [{ PolicyName: "p1", PolicyArn: P }]);
    assert.deepEqual(ok("entities"), ["r1"]);
    assert.equal(ok("count"), 1);
    err("delete_attached", "DeleteConflict", "Cannot delete a policy attached to entities.");
    err("delete_role_attached", "DeleteConflict", "Cannot delete entity, must detach all policies first.");
    err("attach_eleventh", "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10");
    const paged = ok("paged") as string[][];
    assert.deepEqual(
      paged.map((p) => p.length),
      [4, 4, 3],
    );
    assert.equal(new Set(paged.flat()).size, 11);
    assert.deepEqual(ok("first_page"), { IsTruncated: true, HasMarker: true, n: 4 });
    assert.deepEqual(ok("attached_paged"), [3, 3, 3, 1]);
    err("detach_not_attached", "NoSuchEntity", `Policy arn:aws:iam::${ACCOUNT}:policy/q9 was not found.`);

    assert.deepEqual(ok("boundary"), { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: P });
    err(
      "boundary_missing",
      "NoSuchEntity",
      `Scope ARN: arn:aws:iam::${ACCOUNT}:policy/nope does not exist or is not attachable.`,
    );
    assert.equal(ok("boundary_usage"), 1);
    assert.deepEqual(ok("boundary_entities"), ["r1"]);
    assert.equal(ok("boundary_deleted"), false);
    assert.equal(ok("create_role_boundary").PermissionsBoundaryArn, "arn:aws:iam::aws:policy/ReadOnlyAccess");
    err("create_role_boundary_missing", "NoSuchEntity", /Scope ARN: .* does not exist or is not attachable/);

    assert.deepEqual(ok("aws_managed"), [
      "AdministratorAccess",
      "AmazonS3FullAccess",
      "AmazonS3ReadOnlyAccess",
      "IAMFullAccess",
      "IAMReadOnlyAccess",
      "PowerUserAccess",
      "ReadOnlyAccess",
    ]);
    assert.deepEqual(ok("admin_document"), {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    assert.deepEqual(ok("attach_aws_managed"), [["AdministratorAccess", 1]]);
    err("delete_aws_managed", "AccessDenied");

    assert.deepEqual(ok("tags"), [{ Key: "k2", Value: "v2" }]);
    assert.deepEqual(ok("details"), {
      roles: ["r1", "r2"],
      r1_attached: 10,
      r1_trust: "sts:AssumeRole",
      aws: ["AdministratorAccess", "ReadOnlyAccess"],
      p1_versions: 5,
      roles_only_policies: 0,
    });
    assert.deepEqual(ok("instance_profiles"), []);
    err("instance_profiles_missing", "NoSuchEntity", "The role with name nobody cannot be found.");
    assert.deepEqual(ok("cleanup"), ["q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]);
  });

  test("AWS CLI: create, version, attach, list, boundary, and the DeleteConflict a still-attached policy gets", async () => {
    const aws = awsAdmin(emulator.endpoint, dir.path);
    const run = async (args: string[]) => {
      const r = await aws(ACCOUNT, ["iam", ...args]);
      assert.equal(r.code, 0, `aws iam ${args.join(" ")}: ${r.stderr}`);
      return r.stdout.trim() === "" ? {} : JSON.parse(r.stdout);
    };
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }],
    });
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:AssumeRole" }],
    });
    const arn = (await run(["create-policy", "--policy-name", "cli", "--policy-document", doc])).Policy.Arn;
    assert.equal(arn, `arn:aws:iam::${ACCOUNT}:policy/cli`);
    const v2 = await run([
      "create-policy-version",
      "--policy-arn",
      arn,
      "--policy-document",
      doc,
      "--set-as-default",
    ]);
    assert.equal(v2.PolicyVersion.VersionId, "v2");
    const got = await run(["get-policy-version", "--policy-arn", arn, "--version-id", "v2"]);
    assert.deepEqual(got.PolicyVersion.Document, JSON.parse(doc));
    await run(["create-role", "--role-name", "cli-role", "--assume-role-policy-document", trust]);
    await run(["attach-role-policy", "--role-name", "cli-role", "--policy-arn", arn]);
    const listed = await run(["list-attached-role-policies", "--role-name", "cli-role"]);
    assert.deepEqual(listed.AttachedPolicies, [{ PolicyName: "cli", PolicyArn: arn }]);
    const local = await run(["list-policies", "--scope", "Local", "--only-attached"]);
    assert.ok(local.Policies.some((p: { Arn: string }) => p.Arn === arn));
    await run(["put-role-permissions-boundary", "--role-name", "cli-role", "--permissions-boundary", arn]);
    assert.equal(
      (await run(["get-role", "--role-name", "cli-role"])).Role.PermissionsBoundary.PermissionsBoundaryArn,
      arn,
    );

    const refused = await aws(ACCOUNT, ["iam", "delete-policy", "--policy-arn", arn]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /DeleteConflict.*Cannot delete a policy attached to entities\./);

    await run(["delete-role-permissions-boundary", "--role-name", "cli-role"]);
    await run(["detach-role-policy", "--role-name", "cli-role", "--policy-arn", arn]);
    await run(["delete-policy-version", "--policy-arn", arn, "--version-id", "v1"]);
    await run(["delete-policy", "--policy-arn", arn]);
    await run(["delete-role", "--role-name", "cli-role"]);
    const missing = await aws(ACCOUNT, ["iam", "get-policy", "--policy-arn", arn]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NoSuchEntity/);
  });
});
