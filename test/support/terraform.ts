import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunResult, runCommand } from "./cli.js";
import { isolatedEnv } from "./emulator.js";

/**
 * Terraform with the AWS provider from the machine's filesystem mirror (hashicorp/aws 5.100.0 under
 * `/opt/tf-plugins`, or `KEYLESS_TF_PROVIDER_MIRROR`): nothing is downloaded. Each workspace has its own
 * directory, HOME and CLI configuration (`TF_CLI_CONFIG_FILE`), and points the provider's IAM and STS
 * at the emulator through the SDK's service endpoint variables (`AWS_ENDPOINT_URL_IAM`/`_STS`), so the
 * configuration under test is used exactly as written.
 */
export const PROVIDER_MIRROR = process.env.KEYLESS_TF_PROVIDER_MIRROR ?? "/opt/tf-plugins";

export interface TerraformWorkspace {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** `terraform ARGS -input=false -no-color` in the workspace (no `-input` for `output`). */
  run(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** The same, asserting exit status 0 (the message carries Terraform's output). */
  ok(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<RunResult>;
}

export function terraformWorkspace(
  dir: string,
  endpoint: string,
  files: Record<string, string>,
  extraEnv: NodeJS.ProcessEnv = {},
): TerraformWorkspace {
  assert.ok(
    existsSync(join(PROVIDER_MIRROR, "registry.terraform.io", "hashicorp", "aws")),
    `the hashicorp/aws provider mirror is not at ${PROVIDER_MIRROR} (set KEYLESS_TF_PROVIDER_MIRROR)`,
  );
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const rc = join(dir, ".terraformrc");
  writeFileSync(
    rc,
    `provider_installation {
  filesystem_mirror {
    path    = "${PROVIDER_MIRROR}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`,
  );
  const env = isolatedEnv(dir, {
    TF_CLI_CONFIG_FILE: rc,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_IAM: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
    ...extraEnv,
  });
  const run = (args: string[], more: NodeJS.ProcessEnv = {}) =>
    // `terraform output` takes no -input flag.
    runCommand("terraform", [...args, ...(args[0] === "output" ? [] : ["-input=false"]), "-no-color"], {
      env: { ...env, ...more },
      cwd: dir,
      timeoutMs: 300_000,
    });
  return {
    dir,
    env,
    run,
    async ok(args, more) {
      const r = await run(args, more);
      assert.equal(r.code, 0, `terraform ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
      return r;
    },
  };
}

/** Seed 003's tooling role, the one its workflow and its Terraform provider assume with web identity. */
export const SEED003_ROLE = "GitHubAction-AssumeRoleWithAction";

/**
 * Seed 003's AWS side, as its administrator sets it up with the AWS CLI (`iam(account, args)` runs
 * `aws iam ARGS…` as that account's administrator and fails the test unless it succeeds): GitHub's OIDC
 * provider in `tooling` (with `thumbprint` in --thumbprint-list when given), the tooling role trusting
 * repo:organization/repo-name on refs/heads/main for sts.amazonaws.com, an inline policy `cicd` letting
 * it assume `workload`'s role `cicd`, and that role trusting it (the profile + assume_role hop of the
 * seed's provider block). @returns the tooling role's ARN.
 */
export async function seedSeed003Iam(
  iam: (account: string, args: string[]) => Promise<unknown>,
  accounts: { readonly tooling: string; readonly workload: string },
  thumbprint?: string,
): Promise<string> {
  const { tooling, workload } = accounts;
  const host = "token.actions.githubusercontent.com";
  const roleArn = `arn:aws:iam::${tooling}:role/${SEED003_ROLE}`;
  await iam(tooling, [
    "create-open-id-connect-provider",
    "--url",
    `https://${host}`,
    ...(thumbprint !== undefined ? ["--thumbprint-list", thumbprint] : []),
    "--client-id-list",
    "sts.amazonaws.com",
  ]);
  const trust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${tooling}:oidc-provider/${host}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${host}:sub`]: "repo:organization/repo-name:ref:refs/heads/main",
            [`${host}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  };
  await iam(tooling, [
    "create-role",
    "--role-name",
    SEED003_ROLE,
    "--assume-role-policy-document",
    JSON.stringify(trust),
  ]);
  const allowChain = {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "sts:AssumeRole", Resource: `arn:aws:iam::${workload}:role/cicd` },
    ],
  };
  await iam(tooling, [
    "put-role-policy",
    "--role-name",
    SEED003_ROLE,
    "--policy-name",
    "cicd",
    "--policy-document",
    JSON.stringify(allowChain),
  ]);
  const workloadTrust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: roleArn } }],
  };
  await iam(workload, [
    "create-role",
    "--role-name",
    "cicd",
    "--assume-role-policy-document",
    JSON.stringify(workloadTrust),
  ]);
  return roleArn;
}
