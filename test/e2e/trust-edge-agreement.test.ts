import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { runKeyless } from "../support/cli.js";
import { awsAdmin, type RunningEmulator } from "../support/emulator.js";
import { startEmulatorTrusting } from "../support/emulator-issuers.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { tempDir } from "../support/tmp.js";

/**
 * Trust policies written the way people write them (odd-case keys, one-element lists, `${?}` escapes,
 * set operators on single-valued keys, a missing or old Version, a path in the issuer, a trailing slash,
 * Terraform's jsonencode numbers, a BOM, duplicate members, a policy over IAM's size quota), each run
 * through the three parts that promise one decision: the emulator (the AWS CLI creates the role from the
 * file as written, the AWS SDK calls STS with a token signed by a test issuer), `keyless explain` (same
 * file, same token) and `keyless lint` (same file). Every case says what AWS decides; the three must say
 * it too.
 */
const ACCOUNT = "444455556666";
const GH = "token.actions.githubusercontent.com";
const GITLAB = "gitlab.example.com/gitlab"; // a self-managed GitLab under a path
const ENV0 = "login.app.env0.com/"; // Auth0's issuer: trailing slash
const SUB = "repo:octo-org/app:ref:refs/heads/main";
const GL_SUB = "project_path:grp/app:ref_type:branch:ref:main";
const ENV0_SUB = "auth0|0123456789abcdef01234567";

const federated = (key: string) => `arn:aws:iam::${ACCOUNT}:oidc-provider/${key}`;
const statement = (key: string, condition: object, extra: object = {}) => ({
  Effect: "Allow",
  Principal: { Federated: federated(key) },
  Action: "sts:AssumeRoleWithWebIdentity",
  Condition: condition,
  ...extra,
});
const policy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const ghPolicy = (condition: object, extra: object = {}) => policy(statement(GH, condition, extra));

interface Case {
  name: string;
  /** The provider key whose issuer signs the token (default GitHub's). */
  issuer?: string;
  claims: Record<string, unknown>;
  /** The trust policy's text, exactly as the file holds it. */
  text: string;
  /** What AWS decides for the token, or the error CreateRole answers. */
  aws: "allow" | "deny" | { refused: string } | { token: string };
  /** The emulator's decision where its plain-HTTP transport rightly differs from AWS's HTTPS. */
  emulated?: "allow" | "deny";
  /** Rules lint must report, and rules it must not; or its one-line refusal (exit 2), as explain's. */
  lint?: { has?: string[]; not?: string[]; refused?: RegExp };
}

const cases: Case[] = [
  {
    name: "condition keys in odd case (key names are case-insensitive)",
    claims: { sub: SUB },
    text: ghPolicy({
      StringEquals: { "Token.Actions.GitHubUserContent.com:sub": SUB, [`${GH}:AUD`]: "sts.amazonaws.com" },
    }),
    aws: "allow",
    lint: { not: ["OIDC-104", "OIDC-001"] },
  },
  {
    name: "values as one-element arrays",
    claims: { sub: SUB },
    text: ghPolicy({ StringEquals: { [`${GH}:sub`]: [SUB], [`${GH}:aud`]: ["sts.amazonaws.com"] } }),
    aws: "allow",
    lint: { not: ["OIDC-001", "OIDC-016"] },
  },
  {
    name: "StringEquals with the ${?} escape admits a literal ?",
    claims: { sub: "repo:octo-org/app:ref:refs/heads/?" },
    text: ghPolicy({ StringEquals: { [`${GH}:sub`]: "repo:octo-org/app:ref:refs/heads/${?}" } }),
    aws: "allow",
    lint: { not: ["OIDC-101"] },
  },
  {
    name: "StringLike with the ${*} escape is not a wildcard: another branch is refused",
    claims: { sub: SUB },
    text: ghPolicy({ StringLike: { [`${GH}:sub`]: "repo:octo-org/app:ref:refs/heads/${*}" } }),
    aws: "deny",
    lint: { has: ["OIDC-202"], not: ["OIDC-006"] },
  },
  {
    name: "no Version: no policy variables, so ${?} is compared as written",
    claims: { sub: "repo:octo-org/app:ref:refs/heads/?" },
    text: JSON.stringify({
      Statement: [
        statement(GH, { StringEquals: { [`${GH}:sub`]: "repo:octo-org/app:ref:refs/heads/${?}" } }),
      ],
    }),
    aws: "deny",
    lint: { has: ["OIDC-101"] },
  },
  {
    name: 'Version "2008-10-17" without variables still evaluates',
    claims: { sub: SUB },
    text: JSON.stringify({
      Version: "2008-10-17",
      Statement: [statement(GH, { StringEquals: { [`${GH}:sub`]: SUB } })],
    }),
    aws: "allow",
  },
  {
    name: "ForAnyValue: on the single-valued aud",
    claims: { sub: SUB },
    text: ghPolicy({
      StringEquals: { [`${GH}:sub`]: SUB },
      "ForAnyValue:StringEquals": { [`${GH}:aud`]: "sts.amazonaws.com" },
    }),
    aws: "allow",
    lint: { has: ["OIDC-201"] },
  },
  {
    name: "ForAllValues: on the single-valued aud fails closed for a wrong audience",
    claims: { sub: SUB },
    text: ghPolicy({
      StringEquals: { [`${GH}:sub`]: SUB },
      "ForAllValues:StringEquals": { [`${GH}:aud`]: "other" },
    }),
    aws: "deny",
    lint: { has: ["OIDC-201"] },
  },
  {
    name: 'Null "false" (a JSON boolean) beside the subject',
    claims: { sub: SUB },
    text: ghPolicy({ Null: { [`${GH}:sub`]: false }, StringEquals: { [`${GH}:sub`]: SUB } }),
    aws: "allow",
  },
  {
    name: "StringEqualsIgnoreCase",
    claims: { sub: SUB },
    text: ghPolicy({ StringEqualsIgnoreCase: { [`${GH}:sub`]: SUB.toUpperCase() } }),
    aws: "allow",
  },
  {
    name: 'Bool aws:SecureTransport "true": AWS answers over HTTPS only',
    claims: { sub: SUB },
    text: ghPolicy({ StringEquals: { [`${GH}:sub`]: SUB }, Bool: { "aws:SecureTransport": "true" } }),
    aws: "allow",
    // This emulator listens on plain HTTP and says so; over HTTPS (serve --aws-emulator) it admits
    // (issuer-emulator.test.ts).
    emulated: "deny",
  },
  {
    name: 'Terraform jsonencode: Bool "true" on a claim AWS makes no key of fails closed',
    claims: { sub: SUB, runner_environment: "github-hosted" },
    text: ghPolicy({
      StringEquals: { [`${GH}:sub`]: SUB },
      Bool: { [`${GH}:runner_environment`]: "true" },
    }),
    aws: "deny",
    lint: { has: ["OIDC-104"] },
  },
  {
    name: "Terraform jsonencode: a number where a string is expected",
    claims: { sub: SUB, repository_id: "9876543" },
    text: ghPolicy({ StringEquals: { [`${GH}:sub`]: SUB, [`${GH}:repository_id`]: 9876543 } }),
    aws: "allow",
  },
  {
    name: "a Deny statement beats a matching Allow",
    claims: { sub: SUB },
    text: policy(statement(GH, { StringLike: { [`${GH}:sub`]: "repo:octo-org/*" } }), {
      ...statement(GH, { StringLike: { [`${GH}:sub`]: "*:ref:refs/heads/main" } }),
      Effect: "Deny",
    }),
    aws: "deny",
  },
  {
    name: 'Principal "*" beside a Federated statement lets another organisation in',
    claims: { sub: "repo:evil-org/x:ref:refs/heads/main" },
    text: policy(statement(GH, { StringEquals: { [`${GH}:sub`]: SUB } }), {
      Effect: "Allow",
      Principal: "*",
      Action: "sts:AssumeRoleWithWebIdentity",
    }),
    aws: "allow",
    lint: { has: ["OIDC-301"] },
  },
  {
    name: '{"AWS": "*"} admits AWS principals, not a web identity',
    claims: { sub: "repo:evil-org/x:ref:refs/heads/main" },
    text: policy(statement(GH, { StringEquals: { [`${GH}:sub`]: SUB } }), {
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"],
    }),
    aws: "deny",
  },
  {
    name: 'the provider named by its host ("Federated": "<host>") instead of its ARN',
    claims: { sub: SUB },
    text: ghPolicy({ StringEquals: { [`${GH}:sub`]: SUB } }, { Principal: { Federated: GH } }),
    aws: "deny",
    lint: { has: ["OIDC-105"], not: ["OIDC-013"] },
  },
  {
    name: "a token with two audiences and no azp (STS refuses it before the trust policy)",
    claims: { sub: SUB, aud: ["sts.amazonaws.com", "other"] },
    text: ghPolicy({ StringEquals: { [`${GH}:sub`]: SUB, [`${GH}:aud`]: "sts.amazonaws.com" } }),
    // STS's InvalidIdentityToken, as the AWS SDK v3 names its exception.
    aws: { token: "InvalidIdentityTokenException" },
  },
  {
    name: "a self-managed GitLab issuer with a path",
    issuer: GITLAB,
    claims: { sub: GL_SUB },
    text: policy(statement(GITLAB, { StringEquals: { [`${GITLAB}:sub`]: GL_SUB } })),
    aws: "allow",
    lint: { not: ["OIDC-104"] },
  },
  {
    name: "the GitLab path left out of the condition key",
    issuer: GITLAB,
    claims: { sub: GL_SUB },
    text: policy(statement(GITLAB, { StringEquals: { "gitlab.example.com:sub": GL_SUB } })),
    aws: "deny",
    lint: { has: ["OIDC-104"] },
  },
  {
    name: "env0's trailing slash kept in the provider and the key",
    issuer: ENV0,
    claims: { sub: ENV0_SUB, aud: "sts.amazonaws.com" },
    text: policy(statement(ENV0, { StringEquals: { [`${ENV0}:sub`]: ENV0_SUB } })),
    aws: "allow",
    lint: { not: ["OIDC-104"] },
  },
  {
    name: "env0's trailing slash dropped from the key",
    issuer: ENV0,
    claims: { sub: ENV0_SUB },
    text: policy(statement(ENV0, { StringEquals: { "login.app.env0.com:sub": ENV0_SUB } })),
    aws: "deny",
    lint: { has: ["OIDC-104"] },
  },
  {
    name: "a policy over IAM's 2048-character quota",
    claims: { sub: SUB },
    text: ghPolicy({
      StringEquals: {
        [`${GH}:sub`]: [
          SUB,
          ...Array.from({ length: 60 }, (_, i) => `repo:octo-org/app-${i}:ref:refs/heads/main`),
        ],
      },
    }),
    aws: { refused: "LimitExceeded" },
    lint: { has: ["OIDC-109"] },
  },
  {
    name: "the same length in whitespace only: whitespace does not count",
    claims: { sub: SUB },
    text: JSON.stringify(JSON.parse(ghPolicy({ StringEquals: { [`${GH}:sub`]: SUB } })), null, 120),
    aws: "allow",
    lint: { not: ["OIDC-109"] },
  },
  {
    name: "a duplicated member",
    claims: { sub: SUB },
    text: ghPolicy({ StringEquals: { [`${GH}:sub`]: SUB } }).replace(
      '"Version":"2012-10-17"',
      '"Version":"2012-10-17","Version":"2012-10-17"',
    ),
    aws: { refused: "MalformedPolicyDocument" },
    lint: { has: ["OIDC-203"] },
  },
  {
    name: "a byte-order mark before the policy (a Windows editor's UTF-8)",
    claims: { sub: SUB },
    text: `\uFEFF${ghPolicy({ StringEquals: { [`${GH}:sub`]: SUB } })}`,
    // The AWS CLI sends the file as read; U+FEFF is outside the parameter's pattern.
    aws: { refused: "ValidationError" },
    lint: { refused: /starts with U\+FEFF, a byte-order mark/ },
  },
];

describe("real-world trust policies: the emulator, explain and lint agree with AWS", () => {
  const dir = tempDir("keyless-edge-");
  const issuers = new Map<string, TestIssuer>();
  let emulator: RunningEmulator;
  let admin: ReturnType<typeof awsAdmin>;

  before(async () => {
    emulator = await startEmulatorTrusting(dir.path, [GH, GITLAB, ENV0], issuers);
    admin = awsAdmin(emulator.endpoint, dir.path);
    for (const key of issuers.keys()) {
      const r = await admin(ACCOUNT, [
        "iam",
        "create-open-id-connect-provider",
        "--url",
        `https://${key}`,
        "--client-id-list",
        "sts.amazonaws.com",
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await emulator?.stop();
    for (const issuer of issuers.values()) await issuer.close();
    dir.cleanup();
  });

  for (const [n, c] of cases.entries()) {
    test(c.name, async () => {
      const roleName = `edge-${n}`;
      const file = join(dir.path, `${roleName}.json`);
      writeFileSync(file, c.text);
      const created = await admin(ACCOUNT, [
        "iam",
        "create-role",
        "--role-name",
        roleName,
        "--assume-role-policy-document",
        `file://${file}`,
      ]);
      const token = await issuers.get(c.issuer ?? GH)!.sign({ aud: "sts.amazonaws.com", ...c.claims });
      const tokenFile = join(dir.path, `${roleName}.jwt`);
      writeFileSync(tokenFile, token);
      const lint = await runKeyless(["lint", file, "--format", "json", "--fail-on", "critical"]);
      const explained = await runKeyless(["explain", "--policy", file, "--token", tokenFile]);

      if (typeof c.aws === "object" && "token" in c.aws) {
        assert.equal(created.code, 0, created.stderr);
        const emulated = await assume(`arn:aws:iam::${ACCOUNT}:role/${roleName}`, token).catch(
          (error: Error) => error.name,
        );
        assert.equal(emulated, c.aws.token, "the emulator");
        assert.equal(explained.code, 2, `explain: ${explained.stdout}${explained.stderr}`);
        assert.match(
          explained.stderr,
          /^keyless: .*more than one audience while authorized party is not present/,
        );
      } else if (typeof c.aws === "object") {
        assert.notEqual(created.code, 0, "CreateRole accepted a policy AWS refuses");
        assert.match(created.stderr, new RegExp(`\\(${c.aws.refused}\\)`));
      } else {
        assert.equal(created.code, 0, created.stderr);
        const emulated = await assume(`arn:aws:iam::${ACCOUNT}:role/${roleName}`, token);
        assert.equal(emulated, c.emulated ?? c.aws, "the emulator");
        assert.equal(
          explained.code,
          c.aws === "allow" ? 0 : 1,
          `explain: ${explained.stdout}${explained.stderr}`,
        );
      }
      if (c.lint?.refused) {
        for (const [what, r] of [
          ["lint", lint],
          ["explain", explained],
        ] as const) {
          assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
          assert.equal(r.stderr.split("\n").length, 2, `${what}: one line: ${r.stderr}`);
        }
        assert.match(lint.stderr, c.lint.refused);
        assert.match(explained.stderr, /U\+FEFF, a byte-order mark/);
        return;
      }
      // Lint reads every other policy here (no stack trace, no bad-input exit); what it reports is asserted.
      assert.ok(lint.code === 0 || lint.code === 1, `lint exit ${lint.code}: ${lint.stderr}`);
      const rules = (JSON.parse(lint.stdout).findings as { rule: string }[]).map((f) => f.rule);
      for (const rule of c.lint?.has ?? []) assert.ok(rules.includes(rule), `lint lacks ${rule}: ${rules}`);
      for (const rule of c.lint?.not ?? [])
        assert.ok(!rules.includes(rule), `lint reports ${rule}: ${rules}`);
    });
  }

  /** The emulator's decision through the AWS SDK: credentials, or AWS's AccessDenied (other errors throw). */
  async function assume(RoleArn: string, WebIdentityToken: string): Promise<"allow" | "deny"> {
    const sts = new STSClient({ endpoint: emulator.endpoint, region: "us-east-1", maxAttempts: 1 });
    try {
      await sts.send(
        new AssumeRoleWithWebIdentityCommand({ RoleArn, RoleSessionName: "edge", WebIdentityToken }),
      );
      return "allow";
    } catch (error) {
      // Any other refusal (InvalidIdentityToken, …) is thrown as the SDK raised it.
      if ((error as Error).name !== "AccessDenied") throw error;
      return "deny";
    } finally {
      sts.destroy();
    }
  }
});
