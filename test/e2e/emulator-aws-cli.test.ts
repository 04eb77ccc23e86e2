import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCommand } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator, startEmulator } from "../support/emulator.js";
import { startTestIssuer, type TestIssuer } from "../support/oidc-issuer.js";
import { freePort } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";

/**
 * The AWS CLI v1, unmodified, against a real `keyless emulator` process: the seeds' commands verbatim.
 * Two local issuers stand in for token.actions.githubusercontent.com and login.app.env0.com/ through
 * --issuer-alias, so the seeds' trust policies name the real hosts.
 */
const ACCOUNT = "123456789012";
const ENV0_CLIENT = "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b";
const ENV0_SUB = "auth0|632b8219674bde0224a96141";
const GH_SUB = "repo:organization/repo-name:ref:refs/heads/main";

const ghTrust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          "token.actions.githubusercontent.com:sub": GH_SUB,
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        },
      },
    },
  ],
};
const env0Trust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/login.app.env0.com/` },
      Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
      Condition: {
        StringEquals: {
          "login.app.env0.com/:aud": ENV0_CLIENT,
          "login.app.env0.com/:sub": ENV0_SUB,
          "aws:RequestTag/organizationId": ["66a38abf-69bc-4cb7-ad73-7f61e389079f"],
        },
      },
    },
  ],
};

describe("AWS CLI v1 against keyless emulator", () => {
  const dir = tempDir();
  let gh: TestIssuer;
  let env0: TestIssuer;
  let emulator: RunningEmulator;
  let admin: NodeJS.ProcessEnv;
  const ghRole = `arn:aws:iam::${ACCOUNT}:role/GitHubAction-AssumeRoleWithAction`;
  const env0Role = `arn:aws:iam::${ACCOUNT}:role/env0-deployer`;

  const aws = (args: string[], env: NodeJS.ProcessEnv) => runCommand("aws", args, { env });
  const sh = (script: string, env: NodeJS.ProcessEnv) => runCommand("bash", ["-c", script], { env });
  const fresh = (name: string, extra: NodeJS.ProcessEnv = {}) => {
    const d = join(dir.path, name);
    mkdirSync(d, { recursive: true });
    return isolatedEnv(d, { AWS_DEFAULT_REGION: "us-east-1", ...extra });
  };

  before(async () => {
    mkdirSync(join(dir.path, "gh"));
    mkdirSync(join(dir.path, "env0"));
    gh = await startTestIssuer(join(dir.path, "gh"), {
      issuer: "https://token.actions.githubusercontent.com",
    });
    env0 = await startTestIssuer(join(dir.path, "env0"), { issuer: "https://login.app.env0.com/" });
    emulator = await startEmulator(join(dir.path, "data"), [
      "--trust-ca",
      gh.caFile,
      "--trust-ca",
      env0.caFile,
      "--issuer-alias",
      `token.actions.githubusercontent.com=${gh.localUrl}`,
      "--issuer-alias",
      `login.app.env0.com=${env0.localUrl}`,
      // nothing listens there: the IdP is down
      "--issuer-alias",
      `idp.down.test=https://127.0.0.1:${await freePort()}`,
    ]);
    admin = fresh("admin", { AWS_ACCESS_KEY_ID: ACCOUNT, AWS_SECRET_ACCESS_KEY: "test" });
    const ep = ["--endpoint-url", emulator.endpoint];
    // seed 003: create-open-id-connect-provider and create-role --assume-role-policy-document file://...
    let r = await aws(
      [
        ...ep,
        "iam",
        "create-open-id-connect-provider",
        "--url",
        "https://token.actions.githubusercontent.com",
        "--thumbprint-list",
        "6938fd4d98bab03faadb97b34396831e3780aea1",
        "--client-id-list",
        "sts.amazonaws.com",
      ],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
    r = await aws(
      [
        ...ep,
        "iam",
        "create-open-id-connect-provider",
        "--url",
        "https://login.app.env0.com/",
        "--client-id-list",
        ENV0_CLIENT,
      ],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /oidc-provider\/login\.app\.env0\.com\//);
    writeFileSync(join(dir.path, "trustpolicyforGitHubOIDC.json"), JSON.stringify(ghTrust, null, 4));
    writeFileSync(join(dir.path, "env0.json"), JSON.stringify(env0Trust));
    r = await aws(
      [
        ...ep,
        "iam",
        "create-role",
        "--role-name",
        "GitHubAction-AssumeRoleWithAction",
        "--assume-role-policy-document",
        `file://${join(dir.path, "trustpolicyforGitHubOIDC.json")}`,
      ],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
    r = await aws(
      [
        ...ep,
        "iam",
        "create-role",
        "--role-name",
        "env0-deployer",
        "--assume-role-policy-document",
        `file://${join(dir.path, "env0.json")}`,
      ],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await emulator?.stop();
    await gh?.close();
    await env0?.close();
    dir.cleanup();
  });

  test("get-role prints the trust policy as JSON (percent-encoded on the wire)", async () => {
    const r = await aws(
      [
        "--endpoint-url",
        emulator.endpoint,
        "iam",
        "get-role",
        "--role-name",
        "GitHubAction-AssumeRoleWithAction",
      ],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).Role.AssumeRolePolicyDocument, ghTrust);
  });

  test("seed 002: the Spacelift before_init line, verbatim, exports working credentials", async () => {
    const tokenFile = join(dir.path, "spacelift.oidc");
    writeFileSync(tokenFile, await gh.sign({ sub: GH_SUB, aud: "sts.amazonaws.com" }), { mode: 0o600 });
    const env = fresh("seed002", {
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
      TF_VAR_spacelift_run_id: "01HXYZ",
      TOKEN_FILE: tokenFile,
      ROLE_ARN: ghRole,
    });
    const line = `export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" $(aws sts assume-role-with-web-identity --web-identity-token "$(cat $TOKEN_FILE)" --role-arn $ROLE_ARN --role-session-name spacelift-run-\${TF_VAR_spacelift_run_id} --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text))`;
    const r = await sh(`set -e\n${line}\naws sts get-caller-identity --query Arn --output text`, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.trim(),
      `arn:aws:sts::${ACCOUNT}:assumed-role/GitHubAction-AssumeRoleWithAction/spacelift-run-01HXYZ`,
    );
  });

  test("seed 000/001: env0's --output json + jq step with session tags and sts:TagSession", async () => {
    const token = await env0.sign({
      sub: ENV0_SUB,
      aud: "https://prod.env0.com",
      azp: ENV0_CLIENT,
      "https://aws.amazon.com/tags": {
        principal_tags: { organizationId: ["66a38abf-69bc-4cb7-ad73-7f61e389079f"], projectId: ["p1"] },
        transitive_tag_keys: ["organizationId"],
      },
    });
    const envFile = join(dir.path, "env0.env");
    const env = fresh("seed001", {
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
      ENV0_OIDC_ROLE_ARN: env0Role,
      ENV0_OIDC_TOKEN: token,
      ENV0_ENV: envFile,
    });
    const script = `set -e
aws sts assume-role-with-web-identity --role-arn "\${ENV0_OIDC_ROLE_ARN}" --role-session-name "env0_OIDC_session" --web-identity-token $ENV0_OIDC_TOKEN --duration-seconds 3600 --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output json > aws-sts-get-session-token.json
echo AWS_ACCESS_KEY_ID=$(jq '.[0]' aws-sts-get-session-token.json) >> $ENV0_ENV
echo AWS_SECRET_ACCESS_KEY=$(jq '.[1]' aws-sts-get-session-token.json) >> $ENV0_ENV
echo AWS_SESSION_TOKEN=$(jq '.[2]' aws-sts-get-session-token.json) >> $ENV0_ENV
rm aws-sts-get-session-token.json
set -a; . $ENV0_ENV; set +a
aws sts get-caller-identity --query Arn --output text`;
    const r = await runCommand("bash", ["-c", script], { env, cwd: dir.path });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(envFile, "utf8"), /^AWS_ACCESS_KEY_ID="ASIA[A-Z2-7]{16}"$/m);
    assert.equal(r.stdout.trim(), `arn:aws:sts::${ACCOUNT}:assumed-role/env0-deployer/env0_OIDC_session`);
  });

  test("seed 003: [profile cicd] with role_arn + web_identity_token_file; get-caller-identity --profile cicd", async () => {
    const tokenFile = join(dir.path, "web_identity_token_file");
    writeFileSync(tokenFile, await gh.sign({ sub: GH_SUB, aud: "sts.amazonaws.com" }), { mode: 0o600 });
    const env = fresh("seed003", {
      AWS_ROLE_ARN: ghRole,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
    });
    const r = await sh(
      `set -e
echo -e "[profile cicd]\\nrole_arn=\${AWS_ROLE_ARN}\\nweb_identity_token_file=\${AWS_WEB_IDENTITY_TOKEN_FILE}" >> ~/.aws/config
unset AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
aws sts get-caller-identity --profile cicd`,
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      JSON.parse(r.stdout).Arn,
      new RegExp(
        `^arn:aws:sts::${ACCOUNT}:assumed-role/GitHubAction-AssumeRoleWithAction/botocore-session-\\d+$`,
      ),
    );
  });

  test("each error code reaches the CLI as that code", async () => {
    const env = fresh("errors", { AWS_ACCESS_KEY_ID: ACCOUNT, AWS_SECRET_ACCESS_KEY: "test" });
    const ep = ["--endpoint-url", emulator.endpoint];
    const awwi = async (token: string, extra: string[] = [], role = ghRole) =>
      aws(
        [
          ...ep,
          "sts",
          "assume-role-with-web-identity",
          "--role-arn",
          role,
          "--role-session-name",
          "s1",
          "--web-identity-token",
          token,
          ...extra,
        ],
        env,
      );
    const expect = (r: { code: number | null; stderr: string }, code: string, message?: string) => {
      assert.equal(r.code, 255, r.stderr);
      assert.match(r.stderr, new RegExp(`An error occurred \\(${code}\\)`), r.stderr);
      if (message) assert.ok(r.stderr.includes(message), r.stderr);
    };
    const now = Math.floor(Date.now() / 1000);
    expect(
      await awwi(await gh.sign({ sub: GH_SUB, aud: "other" })),
      "InvalidIdentityToken",
      "Incorrect token audience",
    );
    expect(
      await awwi(await gh.sign({ aud: "sts.amazonaws.com" })),
      "InvalidIdentityToken",
      "Missing a required claim: sub",
    );
    expect(await awwi("not-a-jwt"), "InvalidIdentityToken", "not a valid JWT");
    expect(
      await awwi(await gh.sign({ sub: GH_SUB, aud: "sts.amazonaws.com" }, { kid: "unknown" })),
      "InvalidIdentityToken",
      "Couldn't retrieve verification key from your identity provider,  please",
    );
    expect(
      await awwi(
        await gh.sign({
          sub: GH_SUB,
          aud: "sts.amazonaws.com",
          iss: "https://token.actions.githubusercontent.com/",
        }),
      ),
      "InvalidIdentityToken",
      "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com/",
    );
    expect(
      await awwi(await gh.sign({ sub: GH_SUB, aud: "sts.amazonaws.com", iat: now - 7200, exp: now - 301 })),
      "ExpiredTokenException",
      "Token expired: current date/time",
    );
    expect(
      await awwi(await gh.sign({ sub: "repo:evil/repo:ref:refs/heads/main", aud: "sts.amazonaws.com" })),
      "AccessDenied",
      "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
    expect(
      await awwi(
        await gh.sign({ sub: GH_SUB, aud: "sts.amazonaws.com" }),
        [],
        `arn:aws:iam::${ACCOUNT}:role/missing`,
      ),
      "AccessDenied",
    );
    const ok = await gh.sign({ sub: GH_SUB, aud: "sts.amazonaws.com" });
    expect(
      await aws(
        [
          ...ep,
          "sts",
          "assume-role-with-web-identity",
          "--role-arn",
          ghRole,
          "--role-session-name",
          "bad name!",
          "--web-identity-token",
          ok,
        ],
        env,
      ),
      "ValidationError",
      "Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    expect(
      await awwi(ok, ["--duration-seconds", "7200"]),
      "ValidationError",
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    expect(
      await awwi(ok, ["--duration-seconds", "43201"]),
      "ValidationError",
      "Member must have value less than or equal to 43200",
    );
    expect(
      await awwi(ok, ["--policy", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}']),
      "MalformedPolicyDocument",
    );

    writeFileSync(
      join(dir.path, "bad.json"),
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:AssumeRole", Resource: "*" },
        ],
      }),
    );
    expect(
      await aws(
        [
          ...ep,
          "iam",
          "create-role",
          "--role-name",
          "bad",
          "--assume-role-policy-document",
          `file://${join(dir.path, "bad.json")}`,
        ],
        env,
      ),
      "MalformedPolicyDocument",
      "Has prohibited field Resource",
    );
    expect(
      await aws(
        [
          ...ep,
          "iam",
          "create-role",
          "--role-name",
          "env0-DEPLOYER",
          "--assume-role-policy-document",
          `file://${join(dir.path, "env0.json")}`,
        ],
        env,
      ),
      "EntityAlreadyExists",
      "Role with name env0-DEPLOYER already exists.",
    );
    expect(
      await aws([...ep, "iam", "get-role", "--role-name", "nope"], env),
      "NoSuchEntity",
      "The role with name nope cannot be found.",
    );
    expect(
      await aws(
        [
          ...ep,
          "iam",
          "create-open-id-connect-provider",
          "--url",
          "http://insecure.example",
          "--client-id-list",
          "x",
        ],
        env,
      ),
      "InvalidInput",
    );

    // PackedPolicyTooLarge: 50 long random tags on AssumeRole into a role whose trust allows root + TagSession.
    writeFileSync(
      join(dir.path, "root.json"),
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: ["sts:AssumeRole", "sts:TagSession"],
          },
        ],
      }),
    );
    assert.equal(
      (
        await aws(
          [
            ...ep,
            "iam",
            "create-role",
            "--role-name",
            "admin",
            "--assume-role-policy-document",
            `file://${join(dir.path, "root.json")}`,
          ],
          env,
        )
      ).code,
      0,
    );
    const tags = Array.from(
      { length: 50 },
      (_, i) =>
        `Key=k${i},Value=${Buffer.from(crypto.getRandomValues(new Uint8Array(120)))
          .toString("base64url")
          .slice(0, 150)}`,
    );
    expect(
      await aws(
        [
          ...ep,
          "sts",
          "assume-role",
          "--role-arn",
          `arn:aws:iam::${ACCOUNT}:role/admin`,
          "--role-session-name",
          "tags",
          "--tags",
          ...tags,
        ],
        env,
      ),
      "PackedPolicyTooLarge",
      "Packed policy consumes",
    );
  });

  test("IDPCommunicationError when the issuer's host is down", async () => {
    const ep = ["--endpoint-url", emulator.endpoint];
    let r = await aws(
      [
        ...ep,
        "iam",
        "create-open-id-connect-provider",
        "--url",
        "https://idp.down.test",
        "--client-id-list",
        "x",
      ],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
    const trust = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.down.test` },
          Action: "sts:AssumeRoleWithWebIdentity",
        },
      ],
    };
    r = await aws(
      [
        ...ep,
        "iam",
        "create-role",
        "--role-name",
        "down",
        "--assume-role-policy-document",
        JSON.stringify(trust),
      ],
      admin,
    );
    assert.equal(r.code, 0, r.stderr);
    const token = await gh.sign({ iss: "https://idp.down.test", sub: "x", aud: "x" });
    r = await aws(
      [
        ...ep,
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        `arn:aws:iam::${ACCOUNT}:role/down`,
        "--role-session-name",
        "s1",
        "--web-identity-token",
        token,
      ],
      admin,
    );
    assert.equal(r.code, 255);
    assert.match(r.stderr, /An error occurred \(IDPCommunicationError\)/);
  });
});
