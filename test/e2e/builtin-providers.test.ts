import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCommand, runKeyless } from "../support/cli.js";
import { awsAdmin, isolatedEnv, type RunningEmulator, startEmulator } from "../support/emulator.js";
import { startTestIssuer, type TestIssuer } from "../support/oidc-issuer.js";
import { tempDir } from "../support/tmp.js";

/**
 * AWS's built-in web identity providers (accounts.google.com, cognito-identity.amazonaws.com) end to end:
 * the trust names the bare host, no IAM OIDC provider exists, the emulator verifies the token against
 * the provider's keys (a local issuer behind --issuer-alias), and the emulator, `explain` and `lint`
 * agree on who gets in.
 */
const ACCOUNT = "123456789012";
const CLIENT = "123456789012-abc.apps.googleusercontent.com";
const POOL = "us-east-1:12345678-1234-1234-1234-123456789012";

const googleTrust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: "accounts.google.com" },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          "accounts.google.com:aud": CLIENT,
          "accounts.google.com:sub": "110169484474386276334",
        },
      },
    },
  ],
};
const cognitoTrust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: "cognito-identity.amazonaws.com" },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: { "cognito-identity.amazonaws.com:aud": POOL },
        "ForAnyValue:StringEquals": { "cognito-identity.amazonaws.com:amr": "authenticated" },
      },
    },
  ],
};

describe("AWS's built-in providers: emulator, explain and lint agree", () => {
  const dir = tempDir();
  let google: TestIssuer;
  let cognito: TestIssuer;
  let emulator: RunningEmulator;
  let admin: ReturnType<typeof awsAdmin>;

  before(async () => {
    mkdirSync(join(dir.path, "g"));
    mkdirSync(join(dir.path, "c"));
    google = await startTestIssuer(join(dir.path, "g"), { issuer: "https://accounts.google.com" });
    cognito = await startTestIssuer(join(dir.path, "c"), {
      issuer: "https://cognito-identity.amazonaws.com",
    });
    emulator = await startEmulator(join(dir.path, "data"), [
      "--trust-ca",
      google.caFile,
      "--trust-ca",
      cognito.caFile,
      "--issuer-alias",
      `accounts.google.com=${google.localUrl}`,
      "--issuer-alias",
      `cognito-identity.amazonaws.com=${cognito.localUrl}`,
    ]);
    admin = awsAdmin(emulator.endpoint, dir.path);
    writeFileSync(join(dir.path, "google.json"), JSON.stringify(googleTrust));
    writeFileSync(join(dir.path, "cognito.json"), JSON.stringify(cognitoTrust));
    for (const [name, file] of [
      ["google-users", "google.json"],
      ["cognito-users", "cognito.json"],
    ] as const) {
      const r = await admin(ACCOUNT, [
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        `file://${join(dir.path, file)}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await emulator?.stop();
    await google?.close();
    await cognito?.close();
    dir.cleanup();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const assume = (role: string, token: string) =>
    runCommand(
      "aws",
      [
        "--endpoint-url",
        emulator.endpoint,
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        `arn:aws:iam::${ACCOUNT}:role/${role}`,
        "--role-session-name",
        "app",
        "--web-identity-token",
        token,
      ],
      { env: isolatedEnv(join(dir.path, "caller"), { AWS_DEFAULT_REGION: "us-east-1" }) },
    );
  const explain = async (policyFile: string, token: string) => {
    const tokenFile = join(dir.path, `t-${Math.random().toString(36).slice(2)}.jwt`);
    writeFileSync(tokenFile, token);
    return runKeyless(["explain", "--policy", join(dir.path, policyFile), "--token", tokenFile]);
  };

  test("Google: no IAM provider needed; the right user is admitted, another refused, and explain agrees", async () => {
    const claims = { aud: CLIENT, iat: now(), exp: now() + 600 };
    const user = await google.sign({ ...claims, sub: "110169484474386276334" });
    const other = await google.sign({ ...claims, sub: "999" });
    const ok = await assume("google-users", user);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /"Provider": "accounts\.google\.com"|accounts\.google\.com/);
    const denied = await assume("google-users", other);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /AccessDenied/);
    assert.equal((await explain("google.json", user)).code, 0);
    assert.equal((await explain("google.json", other)).code, 1);
  });

  test("Google: a token signed by another key is refused (the provider's keys are checked)", async () => {
    const forger = await startTestIssuer(join(dir.path, "g"), { issuer: "https://accounts.google.com" });
    try {
      const forged = await forger.sign({
        aud: CLIENT,
        sub: "110169484474386276334",
        iat: now(),
        exp: now() + 600,
      });
      const r = await assume("google-users", forged);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /InvalidIdentityToken/);
    } finally {
      await forger.close();
    }
  });

  test("Cognito: signed-in identities are admitted, guests refused; lint flags the trust without amr", async () => {
    const claims = { aud: POOL, sub: "us-east-1:aaaa", iat: now(), exp: now() + 600 };
    const signedIn = await cognito.sign({ ...claims, amr: ["authenticated", "accounts.google.com"] });
    const guest = await cognito.sign({ ...claims, amr: ["unauthenticated"] });
    assert.equal((await assume("cognito-users", signedIn)).code, 0);
    const refused = await assume("cognito-users", guest);
    assert.match(refused.stderr, /AccessDenied/);
    assert.equal((await explain("cognito.json", signedIn)).code, 0);
    assert.equal((await explain("cognito.json", guest)).code, 1);
    const lint = await runKeyless(["lint", "--format", "json", join(dir.path, "cognito.json")]);
    assert.equal(lint.code, 0, lint.stdout);
    const noAmr = structuredClone(cognitoTrust);
    delete (noAmr.Statement[0]!.Condition as Record<string, unknown>)["ForAnyValue:StringEquals"];
    writeFileSync(join(dir.path, "cognito-no-amr.json"), JSON.stringify(noAmr));
    const flagged = await runKeyless(["lint", "--format", "json", join(dir.path, "cognito-no-amr.json")]);
    assert.equal(flagged.code, 1);
    assert.deepEqual(
      (JSON.parse(flagged.stdout) as { findings: { rule: string }[] }).findings.map((f) => f.rule),
      ["OIDC-030"],
    );
    // And the guest really gets in with that trust, in the emulator and in explain.
    const r = await admin(ACCOUNT, [
      "iam",
      "update-assume-role-policy",
      "--role-name",
      "cognito-users",
      "--policy-document",
      `file://${join(dir.path, "cognito-no-amr.json")}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await assume("cognito-users", guest)).code, 0);
    assert.equal((await explain("cognito-no-amr.json", guest)).code, 0);
  });

  test("Cognito: IAM refuses a trust that does not scope aud (identity-provider controls), as lint says", async () => {
    const unscoped = structuredClone(cognitoTrust);
    delete (unscoped.Statement[0]!.Condition as Record<string, unknown>).StringEquals;
    writeFileSync(join(dir.path, "cognito-unscoped.json"), JSON.stringify(unscoped));
    const r = await admin(ACCOUNT, [
      "iam",
      "create-role",
      "--role-name",
      "cognito-unscoped",
      "--assume-role-policy-document",
      `file://${join(dir.path, "cognito-unscoped.json")}`,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /MalformedPolicyDocument/);
    const lint = await runKeyless(["lint", "--format", "json", join(dir.path, "cognito-unscoped.json")]);
    assert.ok(
      (JSON.parse(lint.stdout) as { findings: { rule: string }[] }).findings.some(
        (f) => f.rule === "OIDC-109",
      ),
    );
  });
});
