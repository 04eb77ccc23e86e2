import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { seedChainedRole, seedWebIdentityRole } from "../support/aws.js";
import { runCommand } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator } from "../support/emulator.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { startTestIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

/** boto3 and the JavaScript SDK v3, unmodified, in their own processes: web identity from a token file,
 * a signed GetCallerIdentity, then AssumeRole into a second account (cross-account: trust + identity policy). */
const TOOLING = "123456789012";
const WORKLOAD = "210987654321";
const SUB = "repo:organization/repo-name:ref:refs/heads/main";
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("boto3 and @aws-sdk/client-sts against keyless emulator", () => {
  const dir = tempDir();
  let issuer: TestIssuer;
  let emulator: RunningEmulator;
  let tokenFile: string;
  const role = `arn:aws:iam::${TOOLING}:role/GitHubAction-AssumeRoleWithAction`;
  const workloadRole = `arn:aws:iam::${WORKLOAD}:role/cicd`;

  before(async () => {
    ({ issuer, emulator } = await startTestIssuerWithEmulator(dir.path, {
      issuer: "https://token.actions.githubusercontent.com",
    }));
    await seedWebIdentityRole({
      endpoint: emulator.endpoint,
      dir: dir.path,
      account: TOOLING,
      providerUrl: "https://token.actions.githubusercontent.com",
      roleName: "GitHubAction-AssumeRoleWithAction",
      condition: {
        StringLike: { "token.actions.githubusercontent.com:sub": "repo:organization/repo-name:*" },
        StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
      },
    });
    await seedChainedRole({
      endpoint: emulator.endpoint,
      dir: dir.path,
      from: { account: TOOLING, roleName: "GitHubAction-AssumeRoleWithAction" },
      to: { account: WORKLOAD, roleName: "cicd" },
    });
    tokenFile = join(dir.path, "token");
    writeFileSync(tokenFile, await issuer.sign({ sub: SUB, aud: "sts.amazonaws.com" }), { mode: 0o600 });
  });
  after(async () => {
    await emulator?.stop();
    await issuer?.close();
    dir.cleanup();
  });

  test("boto3: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ENDPOINT_URL_STS, then AssumeRole cross-account", async () => {
    const script = `
import boto3
s = boto3.Session()
assert s.get_credentials().method == "assume-role-with-web-identity", s.get_credentials().method
sts = s.client("sts")
print(sts.get_caller_identity()["Arn"])
c = sts.assume_role(RoleArn="${workloadRole}", RoleSessionName="deploy", DurationSeconds=3600)["Credentials"]
w = boto3.client("sts", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
print(w.get_caller_identity()["Arn"])
try:
    sts.assume_role(RoleArn="${workloadRole}", RoleSessionName="deploy", DurationSeconds=3601)
except Exception as e:
    print(e.response["Error"]["Code"], e.response["Error"]["Message"])
`;
    const env = isolatedEnv(join(dir.path, "boto3"), {
      AWS_ROLE_ARN: role,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
      AWS_DEFAULT_REGION: "us-east-1",
    });
    const r = await runCommand("python3", ["-c", script], { env });
    assert.equal(r.code, 0, r.stderr);
    const [first, second, third] = r.stdout.trim().split("\n");
    assert.match(
      first!,
      new RegExp(
        `^arn:aws:sts::${TOOLING}:assumed-role/GitHubAction-AssumeRoleWithAction/botocore-session-\\d+$`,
      ),
    );
    assert.equal(second, `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/deploy`);
    assert.equal(
      third,
      "ValidationError The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
  });

  test("JavaScript SDK v3: fromTokenFile, signed GetCallerIdentity, AssumeRole into the second account", async () => {
    const script = `
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { fromTokenFile } from "@aws-sdk/credential-provider-web-identity";
const endpoint = process.env.EP, region = "us-east-1";
const sts = new STSClient({ endpoint, region, credentials: fromTokenFile({ clientConfig: { endpoint, region } }) });
console.log((await sts.send(new GetCallerIdentityCommand({}))).Arn);
const c = (await sts.send(new AssumeRoleCommand({ RoleArn: "${workloadRole}", RoleSessionName: "node" }))).Credentials;
const w = new STSClient({ endpoint, region, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
console.log((await w.send(new GetCallerIdentityCommand({}))).Arn);
const bad = new STSClient({ endpoint, region, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken.slice(0, -8) + "AAAAAAA=" } });
try { await bad.send(new GetCallerIdentityCommand({})); } catch (e) { console.log(e.name); }
`;
    const env = isolatedEnv(join(dir.path, "node"), {
      AWS_ROLE_ARN: role,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_SESSION_NAME: "node-tokenfile",
      EP: emulator.endpoint,
    });
    const r = await runCommand(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
      env,
      cwd: REPO_ROOT,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      `arn:aws:sts::${TOOLING}:assumed-role/GitHubAction-AssumeRoleWithAction/node-tokenfile`,
      `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/node`,
      "InvalidClientTokenId",
    ]);
  });
});
