import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Finding } from "../../../../src/analysis/lint/findings.js";
import { readTrustPolicies } from "../../../../src/analysis/lint/inputs/index.js";
import { lintSource } from "../../../../src/analysis/lint/lint.js";
import { tempDir } from "../../../support/tmp.js";
import { lintText, rules } from "./helpers.js";

const policy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (principal: unknown, action: unknown, condition?: object) => ({
  Effect: "Allow",
  Principal: principal,
  Action: action,
  ...(condition ? { Condition: condition } : {}),
});
const one = (findings: Finding[], rule: string) => {
  const hits = findings.filter((f) => f.rule === rule);
  assert.equal(hits.length, 1, `${rule} once: ${JSON.stringify(findings)}`);
  return hits[0]!;
};

describe("the trust-policy surface beyond OIDC (item 1)", () => {
  it('field example: Principal "*" with both assume-role actions and no condition is critical', () => {
    const f = lintText(policy(allow("*", ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"])));
    const hit = one(f, "OIDC-301");
    assert.equal(hit.severity, "critical");
    assert.match(hit.message, /every caller/);
    assert.equal(hit.statement, 0);
  });

  it('field example: {"AWS": "*"} with sts:AssumeRole is critical', () => {
    const hit = one(lintText(policy(allow({ AWS: "*" }, "sts:AssumeRole"))), "OIDC-301");
    assert.equal(hit.severity, "critical");
    assert.match(hit.message, /every AWS account/);
  });

  it("a wildcard principal scoped to the organization or an account is not public", () => {
    for (const key of ["aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn"]) {
      const f = lintText(
        policy(allow({ AWS: "*" }, "sts:AssumeRole", { StringEquals: { [key]: "o-a1b2c3d4e5" } })),
      );
      assert.ok(!rules(f).includes("OIDC-301"), key);
    }
  });

  it("scoping that fails open or names nobody does not count: IfExists, negation, ExternalId alone", () => {
    const ifExists = lintText(
      policy(
        allow({ AWS: "*" }, "sts:AssumeRole", {
          StringEqualsIfExists: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" },
        }),
      ),
    );
    assert.equal(one(ifExists, "OIDC-301").severity, "critical");
    const negated = lintText(
      policy(allow("*", "sts:AssumeRole", { StringNotEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } })),
    );
    assert.equal(one(negated, "OIDC-301").severity, "critical");
    const external = lintText(
      policy(allow({ AWS: "*" }, "sts:AssumeRole", { StringEquals: { "sts:ExternalId": "abc" } })),
    );
    assert.equal(one(external, "OIDC-301").severity, "medium");
  });

  it("another account without sts:ExternalId is low; the role's own account, a named role or an external id is not", () => {
    const root = lintText(policy(allow({ AWS: "arn:aws:iam::111122223333:root" }, "sts:AssumeRole")));
    assert.equal(one(root, "OIDC-302").severity, "low");
    const bareId = lintText(policy(allow({ AWS: "111122223333" }, "sts:AssumeRole")));
    assert.equal(one(bareId, "OIDC-302").severity, "low");
    const withId = lintText(
      policy(
        allow({ AWS: "111122223333" }, "sts:AssumeRole", { StringEquals: { "sts:ExternalId": "x-123" } }),
      ),
    );
    assert.ok(!rules(withId).includes("OIDC-302"));
    const namedRole = lintText(
      policy(allow({ AWS: "arn:aws:iam::111122223333:role/deployer" }, "sts:AssumeRole")),
    );
    assert.deepEqual(rules(namedRole), []);
    // The role's own account (shown by its IAM OIDC provider in the same policy) is ordinary delegation.
    const own = lintText(
      policy(
        allow({ AWS: "arn:aws:iam::444455556666:root" }, "sts:AssumeRole"),
        allow(
          { Federated: "arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com" },
          "sts:AssumeRoleWithWebIdentity",
          {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": "repo:acme@1/infra@2:ref:refs/heads/main",
            },
          },
        ),
      ),
    );
    assert.ok(!rules(own).includes("OIDC-302"), JSON.stringify(own));
  });

  it("a service principal without aws:SourceAccount/aws:SourceArn is a confused deputy; EC2 and Lambda are not", () => {
    const f = lintText(policy(allow({ Service: "codebuild.amazonaws.com" }, "sts:AssumeRole")));
    assert.equal(one(f, "OIDC-303").severity, "medium");
    const scoped = lintText(
      policy(
        allow({ Service: "codebuild.amazonaws.com" }, "sts:AssumeRole", {
          ArnLike: { "aws:SourceArn": "arn:aws:codebuild:us-east-1:444455556666:project/deploy" },
        }),
      ),
    );
    assert.ok(!rules(scoped).includes("OIDC-303"));
    for (const service of ["ec2.amazonaws.com", "lambda.amazonaws.com"]) {
      assert.deepEqual(rules(lintText(policy(allow({ Service: service }, "sts:AssumeRole")))), [], service);
    }
  });

  it("NotAction with Allow, sts:* and * are flagged; with a wildcard principal NotAction is critical", () => {
    const principal = { AWS: "arn:aws:iam::444455556666:role/deployer" };
    assert.equal(
      one(
        lintText(policy({ Effect: "Allow", Principal: principal, NotAction: "sts:AssumeRoleWithSAML" })),
        "OIDC-304",
      ).severity,
      "high",
    );
    assert.equal(one(lintText(policy(allow(principal, "sts:*"))), "OIDC-304").severity, "medium");
    assert.equal(one(lintText(policy(allow(principal, "*"))), "OIDC-304").severity, "medium");
    assert.equal(
      one(lintText(policy({ Effect: "Allow", Principal: "*", NotAction: "sts:TagSession" })), "OIDC-304")
        .severity,
      "critical",
    );
    // A wildcard action does not also claim the statement was meant for web identity (OIDC-105).
    assert.ok(!rules(lintText(policy(allow(principal, "sts:*")))).includes("OIDC-105"));
  });

  it("federated principals paired with the wrong action (OIDC-105): SAML, and AWS principals given only SAML", () => {
    const saml = lintText(
      policy(allow({ Federated: "arn:aws:iam::444455556666:saml-provider/okta" }, "sts:AssumeRole")),
    );
    assert.match(one(saml, "OIDC-105").message, /AssumeRoleWithSAML/);
    const fixed = lintText(
      policy(
        allow({ Federated: "arn:aws:iam::444455556666:saml-provider/okta" }, "sts:AssumeRoleWithSAML", {
          StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" },
        }),
      ),
    );
    assert.deepEqual(rules(fixed), []);
    const awsSaml = lintText(
      policy(allow({ AWS: "arn:aws:iam::444455556666:role/x" }, "sts:AssumeRoleWithSAML")),
    );
    assert.match(one(awsSaml, "OIDC-105").message, /sts:AssumeRole\b/);
  });

  it("Deny statements are not judged as openings", () => {
    assert.deepEqual(
      rules(
        lintText(
          policy(allow({ AWS: "arn:aws:iam::444455556666:role/deployer" }, "sts:AssumeRole"), {
            Effect: "Deny",
            Principal: "*",
            Action: "sts:*",
          }),
        ),
      ),
      [],
    );
  });
});

describe("unknown issuers are never silently passed (item 2)", () => {
  const SELF = "gitlab.example.com";
  const selfManaged = (sub: string) =>
    policy(
      allow(
        { Federated: `arn:aws:iam::444455556666:oidc-provider/${SELF}` },
        "sts:AssumeRoleWithWebIdentity",
        {
          StringEquals: { [`${SELF}:aud`]: `https://${SELF}` },
          StringLike: { [`${SELF}:sub`]: sub },
        },
      ),
    );

  it("field example: self-managed GitLab with project_path:mygroup/* is inferred as GitLab and flagged high", () => {
    const f = lintText(selfManaged("project_path:mygroup/*"));
    const note = one(f, "OIDC-018");
    assert.match(note.message, /gitlab\.example\.com/);
    assert.match(note.message, /--platform gitlab\.example\.com=gitlab/);
    assert.match(note.message, /checked as gitlab/);
    assert.ok(
      f.some((x) => x.rule === "OIDC-005" && x.severity === "high"),
      JSON.stringify(f),
    );
  });

  it("the same findings as --platform HOST=gitlab, minus the note", () => {
    const inferred = lintText(selfManaged("project_path:mygroup/*")).filter((x) => x.rule !== "OIDC-018");
    const text = selfManaged("project_path:mygroup/*");
    const told = lintSource(
      { file: "p.json", location: "policy", policy: text },
      { platforms: { byHost: new Map([[SELF, "gitlab"]]) } },
    );
    assert.deepEqual(rules(inferred).sort(), rules(told).sort());
    assert.ok(!rules(told).includes("OIDC-018"));
  });

  it("each platform's grammar is recognised", () => {
    const cases: [string, string][] = [
      ["repo:acme/*", "github"],
      ["organization:acme:project:*:workspace:*:run_phase:*", "tfc"],
      ["space:legacy:stack:*:run_type:TRACKED:scope:write", "spacelift"],
      ["system:serviceaccount:ci:*", "kubernetes"],
      ["organization:acme:pipeline:*", "buildkite"],
    ];
    for (const [sub, platform] of cases) {
      const note = one(lintText(selfManaged(sub)), "OIDC-018");
      assert.match(note.message, new RegExp(`checked as ${platform}\\b`), sub);
    }
  });

  it("a subject no grammar reads is a medium finding naming the host and the flag", () => {
    const note = one(lintText(selfManaged("build:*")), "OIDC-018");
    assert.equal(note.severity, "medium");
    assert.match(note.message, /does not recognise issuer gitlab\.example\.com/);
    assert.match(note.message, /--platform gitlab\.example\.com=<platform>/);
  });

  it("known hosts and a --platform fallback give no OIDC-018", () => {
    assert.ok(
      !rules(
        lintSource(
          { file: "p.json", location: "policy", policy: selfManaged("build:*") },
          { platforms: { fallback: "gitlab" } },
        ),
      ).includes("OIDC-018"),
    );
    const gh = policy(
      allow(
        { Federated: "arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com" },
        "sts:AssumeRoleWithWebIdentity",
        {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme@1/infra@2:ref:refs/heads/main",
          },
        },
      ),
    );
    assert.ok(!rules(lintText(gh)).includes("OIDC-018"));
  });
});

describe("lint DIR: one broken file does not hide the others (item 7)", () => {
  it("broken JSON, broken YAML and a policy IAM refuses are OIDC-300 findings; the rest is linted", () => {
    const t = tempDir();
    try {
      mkdirSync(join(t.path, "iam"));
      writeFileSync(join(t.path, "iam", "broken.json"), '{"Statement": [');
      writeFileSync(
        join(t.path, "iam", "stack.yaml"),
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  R: [\n',
      );
      writeFileSync(
        join(t.path, "iam", "notprincipal.json"),
        policy({
          Effect: "Allow",
          NotPrincipal: { AWS: "arn:aws:iam::111122223333:root" },
          Action: "sts:AssumeRole",
        }),
      );
      writeFileSync(join(t.path, "iam", "open.json"), policy(allow({ AWS: "*" }, "sts:AssumeRole")));
      // Not a policy and not valid JSON: skipped as before (a tsconfig.json with comments).
      writeFileSync(join(t.path, "tsconfig.json"), '{"compilerOptions": {/* strict */}}');
      const findings = readTrustPolicies([t.path]).flatMap((s) => lintSource(s));
      const by = (name: string) => findings.filter((f) => f.file.endsWith(name)).map((f) => f.rule);
      assert.deepEqual(by("broken.json"), ["OIDC-300"]);
      assert.deepEqual(by("stack.yaml"), ["OIDC-300"]);
      assert.deepEqual(by("notprincipal.json"), ["OIDC-300"]);
      assert.deepEqual(by("open.json"), ["OIDC-301"]);
      assert.deepEqual(by("tsconfig.json"), []);
      assert.ok(findings.filter((f) => f.rule === "OIDC-300").every((f) => f.severity === "high"));
    } finally {
      t.cleanup();
    }
  });
});

describe("messages quote only what is in the policy (item 7)", () => {
  it("OIDC-013 on repo:acme-org/* names no repository the policy does not name", () => {
    const GH = "token.actions.githubusercontent.com";
    const f = lintText(
      policy(
        allow(
          { Federated: `arn:aws:iam::444455556666:oidc-provider/${GH}` },
          "sts:AssumeRoleWithWebIdentity",
          {
            StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" },
            StringLike: { [`${GH}:sub`]: "repo:acme-org/*" },
          },
        ),
      ),
    );
    const hit = one(f, "OIDC-013");
    assert.match(hit.message, /repo:acme-org@<owner-id>\/<repository>@<repo-id>/);
    // Every repo:… form in the advice uses the policy's own owner and a placeholder for the rest.
    for (const form of hit.message.match(/repo:[^\s"]+/g) ?? [])
      assert.match(form, /^repo:acme-org(@<owner-id>\/<repository>@<repo-id>:…|\/\*)$/, form);
  });
});

describe("the role's own account in a CloudFormation template", () => {
  it("${AWS::AccountId} root is the stack's own account, not a third party", () => {
    const template = JSON.stringify({
      AWSTemplateFormatVersion: "2010-09-09",
      Resources: {
        Admin: {
          Type: "AWS::IAM::Role",
          Properties: {
            AssumeRolePolicyDocument: {
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } },
                  Action: "sts:AssumeRole",
                },
              ],
            },
          },
        },
      },
    });
    assert.deepEqual(rules(lintText(template, "stack.json")), []);
  });
});
