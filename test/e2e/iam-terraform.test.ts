import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { INIT_PLATFORMS } from "../../src/analysis/init/index.js";
import { runKeyless } from "../support/cli.js";
import { awsAdmin, type RunningEmulator, startEmulator } from "../support/emulator.js";
import { terraformWorkspace } from "../support/terraform.js";
import { tempDir } from "../support/tmp.js";
import { FULL } from "../unit/analysis/init/helpers.js";

/**
 * The real Terraform and hashicorp/aws 5.100.0 against the emulator's IAM: `keyless init aws --format
 * terraform` for every platform, and a configuration with managed policies, versions, attachments, a
 * boundary and the data sources. Each: apply, a second plan with no changes (`-detailed-exitcode` 0),
 * destroy, and the accounts exactly as they were before.
 */
const TOOLING = "111122223333";
const WORKLOAD = "444455556666";

describe("Terraform's aws provider against the emulator's IAM", () => {
  const dir = tempDir("keyless-iam-tf-");
  let emulator: RunningEmulator;
  const admin = () => awsAdmin(emulator.endpoint, dir.path);
  const ok = async (account: string, args: string[]) => {
    const r = await admin()(account, args);
    assert.equal(r.code, 0, `aws ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim() === "" ? {} : JSON.parse(r.stdout);
  };
  /** What an account holds: roles (with their inline and attached policies), providers, customer policies. */
  const snapshot = async (account: string) => {
    const roles = (await ok(account, ["iam", "list-roles"])).Roles as { RoleName: string }[];
    const detail = [];
    for (const r of roles) {
      detail.push({
        role: await ok(account, ["iam", "get-role", "--role-name", r.RoleName]),
        inline: await ok(account, ["iam", "list-role-policies", "--role-name", r.RoleName]),
        attached: await ok(account, ["iam", "list-attached-role-policies", "--role-name", r.RoleName]),
      });
    }
    return {
      roles: detail,
      providers: await ok(account, ["iam", "list-open-id-connect-providers"]),
      policies: await ok(account, ["iam", "list-policies", "--scope", "Local"]),
    };
  };
  const tfEnv = (account: string) => ({ AWS_ACCESS_KEY_ID: account, AWS_SECRET_ACCESS_KEY: "test" });

  before(async () => {
    emulator = await startEmulator(join(dir.path, "data"), ["--account", TOOLING]);
    // The role init's workload provider assumes (var.workload_admin_role), as AWS Organizations creates it.
    await ok(WORKLOAD, [
      "iam",
      "create-role",
      "--role-name",
      "OrganizationAccountAccessRole",
      "--assume-role-policy-document",
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${TOOLING}:root` }, Action: "sts:AssumeRole" },
        ],
      }),
    ]);
    // With AdministratorAccess, as AWS Organizations creates it: the emulator authorizes the role's calls.
    await ok(WORKLOAD, [
      "iam",
      "attach-role-policy",
      "--role-name",
      "OrganizationAccountAccessRole",
      "--policy-arn",
      "arn:aws:iam::aws:policy/AdministratorAccess",
    ]);
  });
  after(async () => {
    await emulator?.stop();
    dir.cleanup();
  });

  test("init aws --format terraform for every platform (each output a module, unmodified): apply, no changes on plan, destroy restores both accounts", async () => {
    const files: Record<string, string> = {};
    let root = "";
    for (const platform of INIT_PLATFORMS) {
      const gen = await runKeyless([
        "init",
        "aws",
        "--platform",
        platform,
        "--format",
        "terraform",
        "--tooling-account",
        TOOLING,
        "--workload-account",
        WORKLOAD,
        ...Object.entries(FULL[platform]).flatMap(([k, v]) => [`--${k}`, v!]),
      ]);
      assert.equal(gen.code, 0, gen.stderr);
      files[`${platform}/main.tf`] = gen.stdout;
      root += `module "${platform}" {\n  source = "./${platform}"\n}\n`;
    }
    files["main.tf"] = root;
    const before = { tooling: await snapshot(TOOLING), workload: await snapshot(WORKLOAD) };
    const tf = terraformWorkspace(join(dir.path, "init-all"), emulator.endpoint, files, tfEnv(TOOLING));
    await tf.ok(["init"]);
    await tf.ok(["apply", "-auto-approve"]);
    const roles = (await ok(TOOLING, ["iam", "list-roles"])).Roles.map(
      (r: { RoleName: string }) => r.RoleName,
    );
    for (const platform of INIT_PLATFORMS) {
      assert.ok(
        roles.some((r: string) => r.startsWith(`keyless-${platform}`)),
        `${platform}: ${roles}`,
      );
    }
    const workloadRoles = (await ok(WORKLOAD, ["iam", "list-roles"])).Roles.length;
    assert.ok(workloadRoles > INIT_PLATFORMS.length, `workload roles: ${workloadRoles}`);
    const plan = await tf.run(["plan", "-detailed-exitcode"]);
    assert.equal(plan.code, 0, `a second plan must show no changes:\n${plan.stdout}\n${plan.stderr}`);
    await tf.ok(["destroy", "-auto-approve"]);
    assert.deepEqual({ tooling: await snapshot(TOOLING), workload: await snapshot(WORKLOAD) }, before);
  });

  test("managed policies (a new version on change), a boundary, inline and attached policies, and the data sources", async () => {
    const before = await snapshot(TOOLING);
    const tf = terraformWorkspace(
      join(dir.path, "policies"),
      emulator.endpoint,
      { "main.tf": POLICIES_TF },
      tfEnv(TOOLING),
    );
    await tf.ok(["init"]);
    await tf.ok(["apply", "-auto-approve"]);
    const out = JSON.parse((await tf.ok(["output", "-json"])).stdout);
    assert.equal(out.account.value, TOOLING);
    assert.equal(out.role_boundary.value, `arn:aws:iam::${TOOLING}:policy/boundaries/pipeline-boundary`);
    assert.deepEqual(JSON.parse(out.policy_doc.value).Statement[0].Action, ["s3:GetObject", "s3:PutObject"]);
    assert.match(out.policy_id.value, /^ANPA[A-Z0-9]{17}$/);
    assert.equal(out.boundary_path.value, "/boundaries/");
    assert.deepEqual(out.provider_clients.value, ["sts.amazonaws.com"]);
    assert.deepEqual(out.attached.value, [`arn:aws:iam::${TOOLING}:policy/deploy`]);
    assert.equal((await tf.run(["plan", "-detailed-exitcode"])).code, 0);

    // Six changes of the document: the provider keeps within IAM's five versions by deleting the oldest.
    const deploy = `arn:aws:iam::${TOOLING}:policy/deploy`;
    for (const action of [
      "s3:DeleteObject",
      "s3:ListBucket",
      "s3:GetObjectAcl",
      "s3:PutObjectAcl",
      "s3:GetObjectTagging",
      "s3:PutObjectTagging",
    ]) {
      await tf.ok(["apply", "-auto-approve", "-var", `deploy_actions=["${action}"]`]);
    }
    const versions = (await ok(TOOLING, ["iam", "list-policy-versions", "--policy-arn", deploy])).Versions;
    assert.equal(versions.length, 5);
    assert.deepEqual(
      versions
        .filter((v: { IsDefaultVersion: boolean }) => v.IsDefaultVersion)
        .map((v: { VersionId: string }) => v.VersionId),
      ["v7"],
    );
    const current = await ok(TOOLING, [
      "iam",
      "get-policy-version",
      "--policy-arn",
      deploy,
      "--version-id",
      "v7",
    ]);
    assert.deepEqual(current.PolicyVersion.Document.Statement[0].Action, ["s3:PutObjectTagging"]);
    const again = await tf.run([
      "plan",
      "-detailed-exitcode",
      "-var",
      'deploy_actions=["s3:PutObjectTagging"]',
    ]);
    assert.equal(again.code, 0, again.stdout + again.stderr);

    await tf.ok(["destroy", "-auto-approve", "-var", 'deploy_actions=["s3:PutObjectTagging"]']);
    assert.deepEqual(await snapshot(TOOLING), before);
  });
});

const POLICIES_TF = `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {}

variable "deploy_actions" {
  type    = list(string)
  default = ["s3:GetObject", "s3:PutObject"]
}

resource "aws_iam_openid_connect_provider" "gh" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  tags           = { team = "platform" }
}

resource "aws_iam_policy" "boundary" {
  name        = "pipeline-boundary"
  path        = "/boundaries/"
  description = "What any pipeline role may ever do"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:*", "iam:Get*", "iam:List*"], Resource = "*" }]
  })
}

resource "aws_iam_policy" "deploy" {
  name = "deploy"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.deploy_actions, Resource = "arn:aws:s3:::artifacts/*" }]
  })
  tags = { owner = "ci" }
}

resource "aws_iam_role" "deploy" {
  name                 = "deploy"
  permissions_boundary = aws_iam_policy.boundary.arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.gh.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = { StringEquals = {
        "token.actions.githubusercontent.com:sub" = "repo:acme/infra:ref:refs/heads/main"
        "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
      } }
    }]
  })
  tags = { env = "prod" }
}

resource "aws_iam_role_policy" "inline" {
  name = "read-state"
  role = aws_iam_role.deploy.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::tfstate/*" }]
  })
}

resource "aws_iam_role_policy_attachment" "deploy" {
  role       = aws_iam_role.deploy.name
  policy_arn = aws_iam_policy.deploy.arn
}

data "aws_caller_identity" "me" {}
data "aws_iam_role" "deploy" {
  name       = aws_iam_role.deploy.name
  depends_on = [aws_iam_role_policy_attachment.deploy]
}
data "aws_iam_policy" "deploy" {
  name = aws_iam_policy.deploy.name
}
data "aws_iam_policy" "boundary_by_arn" {
  arn = aws_iam_policy.boundary.arn
}
data "aws_iam_openid_connect_provider" "gh" {
  url        = "https://token.actions.githubusercontent.com"
  depends_on = [aws_iam_openid_connect_provider.gh]
}

output "account" { value = data.aws_caller_identity.me.account_id }
output "role_boundary" { value = data.aws_iam_role.deploy.permissions_boundary }
output "policy_id" { value = data.aws_iam_policy.deploy.policy_id }
output "policy_doc" { value = data.aws_iam_policy.deploy.policy }
output "boundary_path" { value = data.aws_iam_policy.boundary_by_arn.path }
output "provider_clients" { value = data.aws_iam_openid_connect_provider.gh.client_id_list }
output "attached" { value = [aws_iam_role_policy_attachment.deploy.policy_arn] }
`;
