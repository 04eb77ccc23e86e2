import assert from "node:assert/strict";
import { awsAdmin } from "./emulator.js";

/**
 * Seeding the emulator the way an administrator does: the AWS CLI v1, unmodified, signed with the
 * static test credentials of the account (access key id = the account id, secret `test`), each account
 * with its own isolated HOME under the test's directory.
 */

/** The host-and-path form of a provider URL: its ARN suffix and condition-key prefix (`login.app.env0.com/`). */
export const providerKey = (providerUrl: string): string => providerUrl.replace(/^https:\/\//, "");

/**
 * A trust policy with one statement allowing `actions` (default `sts:AssumeRoleWithWebIdentity`) to the
 * IAM OIDC provider for `providerUrl` in `account`, under `condition` (omitted when undefined).
 */
export function webIdentityTrust(
  account: string,
  providerUrl: string,
  condition?: Record<string, unknown>,
  actions: string | string[] = "sts:AssumeRoleWithWebIdentity",
) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${account}:oidc-provider/${providerKey(providerUrl)}` },
        Action: actions,
        ...(condition !== undefined ? { Condition: condition } : {}),
      },
    ],
  };
}

export interface SeedWebIdentityRole {
  /** The emulator's endpoint (`http://127.0.0.1:PORT`, or `keyless serve --aws-emulator`'s HTTPS one). */
  readonly endpoint: string;
  /** The test's own directory: each account's administrator gets an isolated HOME under it. */
  readonly dir: string;
  /** The 12-digit account the provider and the role are created in. */
  readonly account: string;
  /** The provider URL exactly as tokens carry it in `iss` (`https://…`, trailing slash kept). */
  readonly providerUrl: string;
  /** The provider's client ids; default `["sts.amazonaws.com"]`. */
  readonly clientIds?: readonly string[];
  /** False when the provider already exists in the account (a second role on it); default true. */
  readonly createProvider?: boolean;
  readonly roleName: string;
  /** The trust policy's Condition block (see `webIdentityTrust`). */
  readonly condition?: Record<string, unknown>;
  /** The allowed action(s); default `sts:AssumeRoleWithWebIdentity`. */
  readonly actions?: string | string[];
  /** A whole trust policy instead of `condition`/`actions`. */
  readonly trust?: unknown;
  /** Extra environment for the AWS CLI (e.g. `AWS_CA_BUNDLE` for an HTTPS endpoint). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Registers the IAM OIDC provider for `providerUrl` (unless `createProvider: false`) and creates
 * `roleName` trusting it, with the AWS CLI. Fails the test (assert) if either call does not succeed.
 * @returns the role's and the provider's ARNs.
 */
export async function seedWebIdentityRole(
  options: SeedWebIdentityRole,
): Promise<{ roleArn: string; providerArn: string }> {
  const admin = awsAdmin(options.endpoint, options.dir, options.env);
  const ok = (r: { code: number | null; stdout: string; stderr: string }, what: string) =>
    assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
  const providerArn = `arn:aws:iam::${options.account}:oidc-provider/${providerKey(options.providerUrl)}`;
  if (options.createProvider !== false) {
    ok(
      await admin(options.account, [
        "iam",
        "create-open-id-connect-provider",
        "--url",
        options.providerUrl,
        "--client-id-list",
        ...(options.clientIds ?? ["sts.amazonaws.com"]),
      ]),
      `create-open-id-connect-provider ${options.providerUrl}`,
    );
  }
  const trust =
    options.trust ??
    webIdentityTrust(options.account, options.providerUrl, options.condition, options.actions);
  ok(
    await admin(options.account, [
      "iam",
      "create-role",
      "--role-name",
      options.roleName,
      "--assume-role-policy-document",
      JSON.stringify(trust),
    ]),
    `create-role ${options.roleName}`,
  );
  return { roleArn: `arn:aws:iam::${options.account}:role/${options.roleName}`, providerArn };
}

export interface SeedChainedRole {
  /** The emulator's endpoint. */
  readonly endpoint: string;
  /** The test's own directory (each account's administrator gets an isolated HOME under it). */
  readonly dir: string;
  /** The role that chains: it gets an inline policy `chain` allowing sts:AssumeRole on the target. */
  readonly from: { readonly account: string; readonly roleName: string };
  /** The role chained into, created trusting `from`'s ARN. */
  readonly to: { readonly account: string; readonly roleName: string };
}

/**
 * Role chaining's two halves, as administrators set them up with the AWS CLI (cross-account access needs
 * both: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html):
 * an identity policy on `from` allowing sts:AssumeRole on the target, and the target role trusting `from`.
 * Fails the test (assert) if a call does not succeed. @returns the target role's ARN.
 */
export async function seedChainedRole(options: SeedChainedRole): Promise<string> {
  const admin = awsAdmin(options.endpoint, options.dir);
  const ok = (r: { code: number | null; stdout: string; stderr: string }, what: string) =>
    assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
  const fromArn = `arn:aws:iam::${options.from.account}:role/${options.from.roleName}`;
  const toArn = `arn:aws:iam::${options.to.account}:role/${options.to.roleName}`;
  const chain = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: toArn }],
  };
  ok(
    await admin(options.from.account, [
      "iam",
      "put-role-policy",
      "--role-name",
      options.from.roleName,
      "--policy-name",
      "chain",
      "--policy-document",
      JSON.stringify(chain),
    ]),
    `put-role-policy ${options.from.roleName}`,
  );
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: fromArn }, Action: "sts:AssumeRole" }],
  };
  ok(
    await admin(options.to.account, [
      "iam",
      "create-role",
      "--role-name",
      options.to.roleName,
      "--assume-role-policy-document",
      JSON.stringify(trust),
    ]),
    `create-role ${options.to.roleName}`,
  );
  return toArn;
}

/** The accounts, GitHub's issuer host and the two roles of seedGithubDeployChain. */
export const DEPLOY_CHAIN = {
  tooling: "111111111111",
  workload: "222222222222",
  host: "token.actions.githubusercontent.com",
  roleArn: "arn:aws:iam::111111111111:role/deploy",
  chainRoleArn: "arn:aws:iam::222222222222:role/cicd",
} as const;

/**
 * The tooling → workload chain the runner and GitHub Action tests use (DEPLOY_CHAIN): role `deploy` in
 * the tooling account trusting `https://token.actions.githubusercontent.com` for aud sts.amazonaws.com
 * and `sub` (StringEquals), and role `cicd` in the workload account it chains into. Fails the test
 * (assert) if a call does not succeed.
 */
export async function seedGithubDeployChain(options: {
  readonly endpoint: string;
  readonly dir: string;
  readonly sub: string;
}): Promise<void> {
  const { host, tooling, workload } = DEPLOY_CHAIN;
  await seedWebIdentityRole({
    endpoint: options.endpoint,
    dir: options.dir,
    account: tooling,
    providerUrl: `https://${host}`,
    roleName: "deploy",
    condition: { StringEquals: { [`${host}:aud`]: "sts.amazonaws.com", [`${host}:sub`]: options.sub } },
  });
  await seedChainedRole({
    endpoint: options.endpoint,
    dir: options.dir,
    from: { account: tooling, roleName: "deploy" },
    to: { account: workload, roleName: "cicd" },
  });
}

/** What `boto3RefreshProbe` prints: calls made, distinct access keys seen, errors, the last caller ARN. */
export interface RefreshReport {
  readonly calls: number;
  readonly keys: number;
  readonly errors: string[];
  readonly arn: string | null;
}

/**
 * A Python program for `python3 -c`: one boto3 STS client calling `GetCallerIdentity` every 0.4 s for
 * `seconds`, counting the distinct access keys its credential provider hands out (botocore refreshes
 * them itself, from the credential source the environment names). Prints one JSON line; read it
 * with `refreshReport`.
 */
export function boto3RefreshProbe(seconds: number): string {
  return `
import boto3, time, json
sts = boto3.client("sts")
keys, errors, calls, arn = set(), [], 0, None
end = time.time() + ${seconds}
while time.time() < end:
    try:
        arn = sts.get_caller_identity()["Arn"]
        calls += 1
        keys.add(sts._request_signer._credentials.get_frozen_credentials().access_key)
    except Exception as e:
        errors.append(str(e))
    time.sleep(0.4)
print(json.dumps({"calls": calls, "keys": len(keys), "errors": errors, "arn": arn}))
`;
}

/** The report `boto3RefreshProbe` printed: the last line of its stdout. */
export function refreshReport(stdout: string): RefreshReport {
  return JSON.parse(stdout.trim().split("\n").pop()!) as RefreshReport;
}
