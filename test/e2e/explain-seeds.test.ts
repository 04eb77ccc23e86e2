import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { runKeyless } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

// The seed trust policies (test/fixtures/lint/seeds/: env0, Spacelift, GitHub Actions + tooling
// chaining) run through `keyless explain` as a user runs it: files on disk, the built CLI, exit codes.
// The seeds' scraped text lost the condition-key names (""); they are restored from each platform's
// documented key (<provider host>:sub / :aud), the account placeholders are a real 12-digit id.

const TOOLING = "111111111111";
const dir = tempDir("keyless-explain-");
after(() => dir.cleanup());
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
before(async () => {
  signingKey = (await generateKeyPair("RS256")).privateKey;
});

let n = 0;
function file(name: string, content: unknown): string {
  const path = join(dir.path, `${n++}-${name}`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}
async function token(claims: JWTPayload): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({ iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .sign(signingKey);
  return file("token.jwt", jwt);
}
const explain = (...args: string[]) => runKeyless(["explain", ...args]);

describe("seed 001 (env0): aud + sub, session tags with the organizationId gate", () => {
  const provider = `arn:aws:iam::${TOOLING}:oidc-provider/login.app.env0.com/`;
  const subOnly = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: provider },
        Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "login.app.env0.com/:aud": "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b",
            "login.app.env0.com/:sub": "auth0|632b8219674bde0224a96141",
          },
        },
      },
    ],
  };
  const withTags = structuredClone(subOnly);
  Object.assign(withTags.Statement[0]!.Condition.StringEquals, {
    "aws:RequestTag/organizationId": ["66a38abf-69bc-4cb7-ad73-7f61e389079f"],
    "aws:RequestTag/projectId": ["1a433171-217e-4f58-9b4e-308d4d77902f"],
  });
  // env0's token shape: Auth0 issuer with a trailing slash, the client id in azp, aud an array.
  const env0Claims = (sub: string, tags?: Record<string, string>): JWTPayload => ({
    iss: "https://login.app.env0.com/",
    sub,
    aud: ["https://prod.env0.com", "https://env0.auth0.com/userinfo"],
    azp: "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b",
    ...(tags
      ? {
          "https://aws.amazon.com/tags": {
            principal_tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, [v]])),
          },
        }
      : {}),
  });
  const org = {
    organizationId: "66a38abf-69bc-4cb7-ad73-7f61e389079f",
    projectId: "1a433171-217e-4f58-9b4e-308d4d77902f",
  };

  test("the organization's token is allowed; the trace shows azp compared as :aud", async () => {
    const result = await explain(
      "--policy",
      file("trust.json", subOnly),
      "--token",
      await token(env0Claims("auth0|632b8219674bde0224a96141")),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ALLOW/);
    assert.match(
      result.stdout,
      /condition StringEquals login\.app\.env0\.com\/:aud: token has "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b", policy wants "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b" -> match/,
    );
    assert.match(result.stdout, /decoded without verifying its signature/);
  });

  test("another sub is refused, and the failing condition is named with both values", async () => {
    const result = await explain(
      "--policy",
      file("trust.json", subOnly),
      "--token",
      await token(env0Claims("auth0|x")),
    );
    assert.equal(result.code, 1);
    assert.ok(
      result.stdout.includes(
        'condition StringEquals login.app.env0.com/:sub: token has "auth0|x", policy wants "auth0|632b8219674bde0224a96141" -> no match',
      ),
      result.stdout,
    );
  });

  test("with the tag gate: right organization allowed, wrong organization and untagged tokens refused", async () => {
    const policy = file("trust-tags.json", withTags);
    const sub = "auth0|632b8219674bde0224a96141";
    assert.equal((await explain("--policy", policy, "--token", await token(env0Claims(sub, org)))).code, 0);
    const wrongOrg = await explain(
      "--policy",
      policy,
      "--token",
      await token(env0Claims(sub, { ...org, organizationId: "other-org" })),
    );
    assert.equal(wrongOrg.code, 1);
    assert.match(wrongOrg.stdout, /aws:RequestTag\/organizationId: token has "other-org"/);
    const untagged = await explain("--policy", policy, "--token", await token(env0Claims(sub)));
    assert.equal(untagged.code, 1);
    assert.match(untagged.stdout, /aws:RequestTag\/organizationId: token has no such key/);
  });

  test("a tagged token against a trust without sts:TagSession is refused for sts:TagSession alone", async () => {
    const noTagSession = structuredClone(subOnly);
    noTagSession.Statement[0]!.Action = ["sts:AssumeRoleWithWebIdentity"];
    const result = await explain(
      "--policy",
      file("trust.json", noTagSession),
      "--token",
      await token(env0Claims("auth0|632b8219674bde0224a96141", org)),
      "--json",
    );
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout);
    assert.equal(report.decision, "deny");
    assert.deepEqual(
      report.actions.map((a: { action: string; decision: string }) => [a.action, a.decision]),
      [
        ["sts:AssumeRoleWithWebIdentity", "allow"],
        ["sts:TagSession", "deny"],
      ],
    );
  });
});

describe("seed 002 (Spacelift): StringLike patterns on sub", () => {
  const host = "demo.app.spacelift.io";
  const trust = (condition: Record<string, unknown>) => ({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${TOOLING}:oidc-provider/${host}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${host}:aud`]: host }, ...condition },
      },
    ],
  });
  const run = (sub: string) => token({ iss: `https://${host}`, aud: host, sub, spaceId: sub.split(":")[1] });

  test('"space:production:*" admits production stacks only', async () => {
    const policy = file("trust.json", trust({ StringLike: { [`${host}:sub`]: "space:production:*" } }));
    assert.equal(
      (
        await explain(
          "--policy",
          policy,
          "--token",
          await run("space:production:stack:api:run_type:TRACKED:scope:write"),
        )
      ).code,
      0,
    );
    const dev = await explain(
      "--policy",
      policy,
      "--token",
      await run("space:development:stack:api:run_type:TRACKED:scope:write"),
    );
    assert.equal(dev.code, 1);
    assert.match(
      dev.stdout,
      /condition StringLike demo\.app\.spacelift\.io:sub: token has "space:development:stack:api:run_type:TRACKED:scope:write", policy wants "space:production:\*" -> no match/,
    );
  });

  test('"*:stack:oidc-is-awesome:*" admits that stack in any space, and no other', async () => {
    const policy = file(
      "trust.json",
      trust({ StringLike: { [`${host}:sub`]: "*:stack:oidc-is-awesome:*" } }),
    );
    assert.equal(
      (
        await explain(
          "--policy",
          policy,
          "--token",
          await run("space:root:stack:oidc-is-awesome:run_type:PROPOSED:scope:read"),
        )
      ).code,
      0,
    );
    assert.equal(
      (
        await explain(
          "--policy",
          policy,
          "--token",
          await run("space:root:stack:other:run_type:PROPOSED:scope:read"),
        )
      ).code,
      1,
    );
  });

  test("the relaxed trust (aud only) lets any stack of the account in: what lint flags", async () => {
    const policy = file("trust.json", trust({}));
    assert.equal(
      (
        await explain(
          "--policy",
          policy,
          "--token",
          await run("space:sandbox:module:anything:run_type:TESTING:scope:read"),
        )
      ).code,
      0,
    );
  });

  test("custom claims such as spaceId are not condition keys in AWS: a condition on one never matches", async () => {
    const policy = file(
      "trust.json",
      trust({ StringEquals: { [`${host}:aud`]: host, [`${host}:spaceId`]: "production" } }),
    );
    const result = await explain(
      "--policy",
      policy,
      "--token",
      await run("space:production:stack:api:run_type:TRACKED:scope:write"),
    );
    assert.equal(result.code, 1);
    assert.match(result.stdout, /demo\.app\.spacelift\.io:spaceId: token has no such key/);
  });
});

describe("seed 003 (GitHub Actions): the tooling trust, then chaining into the workload account", () => {
  const github = "token.actions.githubusercontent.com";
  const toolingTrust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${TOOLING}:oidc-provider/${github}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${github}:sub`]: "repo:organization/repo-name:ref:refs/heads/main",
            [`${github}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  };
  const workloadTrust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: "sts:AssumeRole",
        Principal: { AWS: `arn:aws:iam::${TOOLING}:role/GitHubAction-AssumeRoleWithAction` },
      },
    ],
  };
  const gh = (sub: string, aud = "sts.amazonaws.com") =>
    token({
      iss: `https://${github}`,
      aud,
      sub,
      repository: "organization/repo-name",
      ref: "refs/heads/main",
    });

  test("main of the repository is allowed; a branch, a fork's repo and another audience are not", async () => {
    const policy = file("trust.json", toolingTrust);
    const main = await explain(
      "--policy",
      policy,
      "--token",
      await gh("repo:organization/repo-name:ref:refs/heads/main"),
      "--json",
    );
    assert.equal(main.code, 0);
    assert.equal(JSON.parse(main.stdout).decision, "allow");
    for (const denied of [
      await gh("repo:organization/repo-name:ref:refs/heads/feature"),
      await gh("repo:evil/repo-name:ref:refs/heads/main"),
      await gh("repo:organization/repo-name:ref:refs/heads/main", "https://github.com/organization"),
    ]) {
      const result = await explain("--policy", policy, "--token", denied, "--json");
      assert.equal(result.code, 1);
      assert.equal(JSON.parse(result.stdout).decision, "deny");
    }
  });

  test("the workload trust admits sessions of the tooling role, and notes the cross-account identity policy", async () => {
    const policy = file("workload.json", workloadTrust);
    const allowed = await explain(
      "--policy",
      policy,
      "--caller",
      `arn:aws:sts::${TOOLING}:assumed-role/GitHubAction-AssumeRoleWithAction/GitHubActions`,
      "--role-arn",
      "arn:aws:iam::222222222222:role/cicd",
    );
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /cross-account \(111111111111 to 222222222222\)/);
    const other = await explain(
      "--policy",
      policy,
      "--caller",
      `arn:aws:sts::${TOOLING}:assumed-role/SomeOtherRole/x`,
    );
    assert.equal(other.code, 1);
    assert.match(
      other.stdout,
      /principal: the caller is arn:aws:sts::111111111111:assumed-role\/SomeOtherRole\/x; the statement trusts arn:aws:iam::111111111111:role\/GitHubAction-AssumeRoleWithAction -> no match/,
    );
  });
});

describe("bad input: one clear line, exit 2", () => {
  const policy = () =>
    file("trust.json", {
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Principal: "*", Action: "sts:AssumeRoleWithWebIdentity" },
    });

  test("a token that is not a JWT", async () => {
    const result = await explain("--policy", policy(), "--token", file("t", "not-a-jwt"));
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^keyless: token .* is not a JWT: expected three base64url parts separated by dots\n$/,
    );
  });

  test("a malformed policy names IAM's error and where", async () => {
    const result = await explain(
      "--policy",
      file("bad.json", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",}]}'),
      "--claims",
      file("c.json", { iss: "https://x.example", sub: "s", aud: "a" }),
    );
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^keyless: policy .* is malformed: This policy contains invalid Json \(unexpected "}", expected a member name at line 1, column 60\)\n$/,
    );
  });

  test("an unknown condition operator", async () => {
    const bad = {
      Version: "2012-10-17",
      Statement: {
        Effect: "Allow",
        Principal: "*",
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEqualz: { "x:sub": "a" } },
      },
    };
    const result = await explain(
      "--policy",
      file("bad.json", bad),
      "--claims",
      file("c.json", { iss: "https://x.example", sub: "s", aud: "a" }),
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown condition operator "StringEqualz"/);
  });

  test("an unreadable file, claims that are not an object, missing flags", async () => {
    const missing = await explain(
      "--policy",
      join(dir.path, "nope.json"),
      "--claims",
      join(dir.path, "nope2.json"),
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read policy .*nope\.json: no such file/);
    const notObject = await explain("--policy", policy(), "--claims", file("c.json", "[1]"));
    assert.equal(notObject.code, 2);
    assert.match(notObject.stderr, /must hold a JSON object/);
    const neither = await explain("--policy", policy());
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /give exactly one of --token FILE, --claims FILE or --caller ARN/);
    for (const r of [missing, notObject, neither])
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  test("an http:// provider URL is refused as IAM refuses it", async () => {
    const result = await explain(
      "--policy",
      policy(),
      "--claims",
      file("c.json", { iss: "http://x.example", sub: "s", aud: "a" }),
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /must start with https:\/\//);
  });
});
