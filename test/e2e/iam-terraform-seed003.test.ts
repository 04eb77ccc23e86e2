import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { awsAdmin } from "../support/emulator.js";
import { curlRunToken, seedApplyRunOverHttp } from "../support/serve.js";
import { type IssuerWithEmulator, startIssuerWithEmulator } from "../support/stack.js";
import { SEED003_ROLE, seedSeed003Iam, terraformWorkspace } from "../support/terraform.js";
import { tempDir } from "../support/tmp.js";

/**
 * Seed 003's AWS provider configuration with the real Terraform and hashicorp/aws 5.100.0: the default
 * provider with `assume_role_with_web_identity` (role_arn, session_name, web_identity_token_file, the
 * token fetched from `keyless serve` in GitHub's shape), and the seed's provider block verbatim
 * (`profile = var.profile_cicd` with an `assume_role` hop into the workload account, external id and
 * session name as written there). `data "aws_caller_identity"` shows each assumed role.
 */
const TOOLING = "111111111111";
const WORKLOAD = "222222222222";
const TOOLING_ROLE = `arn:aws:iam::${TOOLING}:role/${SEED003_ROLE}`;

describe("seed 003: Terraform's aws provider with web identity and the assume_role hop", () => {
  const dir = tempDir("keyless-seed003-tf-");
  let stack: IssuerWithEmulator;
  const iam = async (account: string, args: string[]) => {
    const r = await awsAdmin(stack.emulator.endpoint, dir.path)(account, ["iam", ...args]);
    assert.equal(r.code, 0, `aws iam ${args.join(" ")}: ${r.stderr}`);
  };

  before(async () => {
    stack = await startIssuerWithEmulator(dir.path, {
      aliases: ["token.actions.githubusercontent.com"],
      emulatorArgs: ["--account", TOOLING],
    });
    await seedSeed003Iam(iam, { tooling: TOOLING, workload: WORKLOAD });
  });
  after(async () => {
    await stack?.stop();
    dir.cleanup();
  });

  test("the web identity provider shows the tooling role; the seed's profile + assume_role provider shows the workload role", async () => {
    const run = await seedApplyRunOverHttp(stack.serveUrl, stack.adminKey, {
      ca: stack.tls.ca,
      organization: { name: "organization", profile: "github", allowedAudiences: ["sts.amazonaws.com"] },
      project: "repo-name",
      environment: "main",
      deployer: "dev@example.com",
      attributes: { ref: "refs/heads/main" },
    });
    const fetched = await curlRunToken(run, stack.tls.caFile, "sts.amazonaws.com");
    assert.equal(fetched.code, 0, fetched.stderr);
    const ws = join(dir.path, "tooling");
    mkdirSync(ws, { recursive: true });
    const tokenFile = join(ws, "web_identity_token_file");
    writeFileSync(tokenFile, JSON.parse(fetched.stdout).value, { mode: 0o600 });

    const tf = terraformWorkspace(ws, stack.emulator.endpoint, {
      "main.tf": `provider "aws" {
  region = "eu-central-1"
  assume_role_with_web_identity {
    role_arn                = "${TOOLING_ROLE}"
    session_name            = "SESSION_NAME"
    web_identity_token_file = "${tokenFile}"
  }
}

# Seed 003's provider block, verbatim, as the workload provider.
provider "aws" {
    alias = "workload"
    region = var.aws_region
    profile = var.profile_cicd
    assume_role {
        role_arn = "arn:aws:iam::\${var.aws_account_id}:role/\${var.profile_cicd}"
        session_name = "SESSION_NAME"
        external_id  = "EXTERNAL_ID"
    }
}

variable "aws_region" {
  type = string
  default = "eu-central-1"
}

variable "aws_account_id" {
  type = number
}

variable "profile_cicd" {
  type = string
  default = "cicd"
}

data "aws_caller_identity" "tooling" {}
data "aws_caller_identity" "workload" {
  provider = aws.workload
}
output "tooling" { value = data.aws_caller_identity.tooling.arn }
output "workload" { value = data.aws_caller_identity.workload.arn }
`,
      "terraform.tfvars": `aws_region = "eu-central-1"\nprofile_cicd = "cicd"\naws_account_id = ${WORKLOAD}\n`,
    });
    // The seed's workflow step writes this profile before Terraform runs.
    writeFileSync(
      join(ws, "home", ".aws", "config"),
      `[profile cicd]\nrole_arn=${TOOLING_ROLE}\nweb_identity_token_file=${tokenFile}\n`,
    );
    await tf.ok(["init"]);
    await tf.ok(["apply", "-auto-approve"]);
    const out = JSON.parse((await tf.ok(["output", "-json"])).stdout);
    assert.equal(
      out.tooling.value,
      `arn:aws:sts::${TOOLING}:assumed-role/GitHubAction-AssumeRoleWithAction/SESSION_NAME`,
    );
    assert.equal(out.workload.value, `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/SESSION_NAME`);
  });
});
