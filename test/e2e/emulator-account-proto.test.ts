import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { seedWebIdentityRole } from "../support/aws.js";
import { runCommand, runKeyless } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator, startEmulator } from "../support/emulator.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { startTestIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

/**
 * `keyless emulator --account`: the account whose root the access key id `test` acts as (LocalStack's
 * default credentials), shown by `aws sts get-caller-identity` and holding the roles that key creates.
 * And trust policies hiding members under `__proto__` / `constructor`: refused as IAM refuses them, by
 * the emulator over the wire, by `keyless lint` and by `keyless explain`.
 */
const ACCOUNT = "210987654321";
const GH = "token.actions.githubusercontent.com";
const statement = {
  Effect: "Allow",
  Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${GH}` },
  Action: "sts:AssumeRoleWithWebIdentity",
  Condition: {
    StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com", [`${GH}:sub`]: "repo:acme/app:ref:refs/heads/main" },
  },
};
const good = JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
const statementText = JSON.stringify(statement);
/** JSON.stringify cannot write a `__proto__` member, so the documents are written as text. */
const poisoned = {
  topLevel: `{"Version":"2012-10-17","__proto__":{"Statement":[${statementText}]}}`,
  constructor: `{"Version":"2012-10-17","constructor":{"prototype":{"x":1}},"Statement":[${statementText}]}`,
  condition: `{"Version":"2012-10-17","Statement":[${statementText.replace(
    /"Condition":\{/,
    `"Condition":{"__proto__":{"StringEquals":{"${GH}:sub":"x"}},`,
  )}]}`,
  conditionOnly: `{"Version":"2012-10-17","Statement":[${statementText.replace(
    /"Condition":\{.*\}\}$/,
    `"Condition":{"__proto__":{"StringEquals":{"${GH}:sub":"x"}}}}`,
  )}]}`,
};

describe("keyless emulator --account, and __proto__ in trust policies", () => {
  const dir = tempDir();
  let emulator: RunningEmulator;
  let env: NodeJS.ProcessEnv;
  const aws = (...args: string[]) =>
    runCommand("aws", ["--endpoint-url", emulator.endpoint, ...args], { env });
  const file = (name: string, text: string) => {
    const path = join(dir.path, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    emulator = await startEmulator(join(dir.path, "data"), ["--account", ACCOUNT]);
    env = isolatedEnv(join(dir.path, "admin"), {
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
    });
  });
  after(async () => {
    await emulator?.stop();
    dir.cleanup();
  });

  test("sts get-caller-identity with the key `test` shows the --account root", async () => {
    const r = await aws("sts", "get-caller-identity", "--output", "json");
    assert.equal(r.code, 0, r.stderr);
    const identity = JSON.parse(r.stdout) as { Account: string; Arn: string };
    assert.equal(identity.Account, ACCOUNT);
    assert.equal(identity.Arn, `arn:aws:iam::${ACCOUNT}:root`);
  });

  test("roles created with the key `test` land in the --account", async () => {
    let r = await aws(
      "iam",
      "create-open-id-connect-provider",
      "--url",
      `https://${GH}`,
      "--client-id-list",
      "sts.amazonaws.com",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`arn:aws:iam::${ACCOUNT}:oidc-provider/${GH}`));
    r = await aws(
      "iam",
      "create-role",
      "--role-name",
      "deploy",
      "--assume-role-policy-document",
      `file://${file("good.json", good)}`,
      "--output",
      "json",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stdout) as { Role: { Arn: string } }).Role.Arn,
      `arn:aws:iam::${ACCOUNT}:role/deploy`,
    );
    // The same role is visible to that account's own 12-digit key, and not to another account's.
    const as = (account: string) =>
      runCommand("aws", ["--endpoint-url", emulator.endpoint, "iam", "get-role", "--role-name", "deploy"], {
        env: { ...env, AWS_ACCESS_KEY_ID: account },
      });
    assert.equal((await as(ACCOUNT)).code, 0);
    const other = await as("123456789012");
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /NoSuchEntity/);
  });

  for (const [name, text] of Object.entries(poisoned)) {
    test(`CreateRole and UpdateAssumeRolePolicy refuse the ${name} variant with MalformedPolicyDocument`, async () => {
      const path = file(`${name}.json`, text);
      const created = await aws(
        "iam",
        "create-role",
        "--role-name",
        `proto-${name}`,
        "--assume-role-policy-document",
        `file://${path}`,
      );
      assert.equal(created.code, 255, created.stdout);
      assert.match(created.stderr, /MalformedPolicyDocument/);
      const updated = await aws(
        "iam",
        "update-assume-role-policy",
        "--role-name",
        "deploy",
        "--policy-document",
        `file://${path}`,
      );
      assert.equal(updated.code, 255, updated.stdout);
      assert.match(updated.stderr, /MalformedPolicyDocument/);
    });
  }

  test("the role's trust policy is unchanged after the refused updates", async () => {
    const r = await aws("iam", "get-role", "--role-name", "deploy", "--output", "json");
    assert.equal(r.code, 0, r.stderr);
    const role = JSON.parse(r.stdout) as { Role: { AssumeRolePolicyDocument: unknown } };
    assert.deepEqual(role.Role.AssumeRolePolicyDocument, JSON.parse(good));
  });

  test("keyless lint refuses the top-level __proto__ policy (exit 2, MalformedPolicyDocument)", async () => {
    for (const name of ["topLevel", "constructor", "conditionOnly"] as const) {
      const r = await runKeyless(["lint", file(`lint-${name}.json`, poisoned[name])]);
      assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /MalformedPolicyDocument/, name);
      assert.equal(r.stderr.trim().split("\n").length, 1);
    }
  });

  test("keyless lint refuses __proto__ in a YAML policy and in a CloudFormation template's Condition", async () => {
    const yamlPolicy = [
      'Version: "2012-10-17"',
      "__proto__:",
      "  Statement:",
      "    - Effect: Allow",
      `      Principal: { Federated: "arn:aws:iam::${ACCOUNT}:oidc-provider/${GH}" }`,
      "      Action: sts:AssumeRoleWithWebIdentity",
      "",
    ].join("\n");
    const template = [
      'AWSTemplateFormatVersion: "2010-09-09"',
      "Resources:",
      "  Role:",
      "    Type: AWS::IAM::Role",
      "    Properties:",
      "      AssumeRolePolicyDocument:",
      '        Version: "2012-10-17"',
      "        Statement:",
      "          - Effect: Allow",
      `            Principal: { Federated: "arn:aws:iam::${ACCOUNT}:oidc-provider/${GH}" }`,
      "            Action: sts:AssumeRoleWithWebIdentity",
      "            Condition:",
      "              __proto__:",
      `                StringEquals: { "${GH}:sub": x }`,
      "",
    ].join("\n");
    for (const [name, text, detail] of [
      ["policy.yaml", yamlPolicy, /unknown top-level field "__proto__"/],
      ["template.yaml", template, /unknown condition operator "__proto__"/],
    ] as const) {
      const r = await runKeyless(["lint", file(name, text)]);
      assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /MalformedPolicyDocument/, name);
      assert.match(r.stderr, detail, name);
    }
  });

  test("keyless explain refuses it (exit 2), and refuses claims holding __proto__", async () => {
    const claims = file(
      "claims.json",
      JSON.stringify({ iss: `https://${GH}`, aud: "sts.amazonaws.com", sub: "x" }),
    );
    const r = await runKeyless([
      "explain",
      "--policy",
      file("explain.json", poisoned.topLevel),
      "--claims",
      claims,
    ]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /^keyless: .*unknown top-level field "__proto__"/);
    const bad = file(
      "bad-claims.json",
      `{"iss":"https://${GH}","aud":"sts.amazonaws.com","__proto__":{"sub":"repo:acme/app:ref:refs/heads/main"}}`,
    );
    const c = await runKeyless(["explain", "--policy", file("explain-good.json", good), "--claims", bad]);
    assert.equal(c.code, 2, c.stdout);
    assert.match(c.stderr, /__proto__/);
  });
});

describe("a web-identity token whose claims hold __proto__ (boto3 over the wire)", () => {
  const dir = tempDir();
  const HOST = "token.actions.githubusercontent.com";
  const PINNED = "repo:acme/app:ref:refs/heads/main";
  let issuer: TestIssuer;
  let emulator: RunningEmulator;
  let roleArn: string;

  before(async () => {
    ({ issuer, emulator } = await startTestIssuerWithEmulator(dir.path, { issuer: `https://${HOST}` }));
    ({ roleArn } = await seedWebIdentityRole({
      endpoint: emulator.endpoint,
      dir: dir.path,
      account: ACCOUNT,
      providerUrl: `https://${HOST}`,
      roleName: "pinned",
      condition: { StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com", [`${HOST}:sub`]: PINNED } },
    }));
  });
  after(async () => {
    await emulator?.stop();
    await issuer?.close();
    dir.cleanup();
  });

  /** AssumeRoleWithWebIdentity with boto3; prints the assumed-role ARN or the error code. */
  const exchange = async (claims: Record<string, unknown>) => {
    const token = await issuer.sign(claims);
    const script = `
import boto3, botocore, sys
sts = boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1")
try:
    r = sts.assume_role_with_web_identity(RoleArn=sys.argv[2], RoleSessionName="proto", WebIdentityToken=sys.argv[3])
    print(r["AssumedRoleUser"]["Arn"])
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
`;
    const r = await runCommand("python3", ["-c", script, emulator.endpoint, roleArn, token], {
      env: isolatedEnv(join(dir.path, "job"), {}),
    });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  test("a sub under __proto__ is not the token's sub; the real sub still works after", async () => {
    // JSON.parse keeps "__proto__" as an own member, which jose then signs as a claim.
    const claims = JSON.parse(`{"aud":"sts.amazonaws.com","__proto__":{"sub":"${PINNED}"}}`) as Record<
      string,
      unknown
    >;
    assert.ok(Object.hasOwn(claims, "__proto__"));
    // Were "__proto__" the claims' prototype, `claims.sub` would read the pinned subject and get in.
    assert.equal(await exchange(claims), "InvalidIdentityToken");
    const withSub = { ...claims, sub: "repo:attacker/app:ref:refs/heads/main" };
    assert.equal(await exchange(withSub), "AccessDenied");
    assert.equal(
      await exchange({ aud: "sts.amazonaws.com", sub: PINNED }),
      `arn:aws:sts::${ACCOUNT}:assumed-role/pinned/proto`,
    );
  });
});
