import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GH, github, lintFixture, lintText, rules, trust } from "./helpers.js";

const IMMUTABLE = "repo:contoso-dev@5550123/infra-live@9876543";
const absent = (text: string, rule: string) =>
  assert.ok(!rules(lintText(text)).includes(rule), `${rule} raised: ${rules(lintText(text))}`);
const present = (text: string, rule: string) =>
  assert.ok(rules(lintText(text)).includes(rule), `${rule} missing: ${rules(lintText(text))}`);

describe("near misses: must not be flagged", () => {
  it("OIDC-001: job_workflow_ref is a tenancy key for GitHub; a Deny can pin sub", () => {
    absent(
      trust(GH, {
        StringEquals: {
          [`${GH}:aud`]: "sts.amazonaws.com",
          [`${GH}:job_workflow_ref`]: "contoso-dev/wf/.github/workflows/d.yml@refs/heads/main",
        },
      }),
      "OIDC-001",
    );
    const denyPinned = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        JSON.parse(trust(GH, { StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" } })).Statement[0],
        {
          Effect: "Deny",
          Principal: "*",
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringNotEquals: { [`${GH}:sub`]: `${IMMUTABLE}:ref:refs/heads/main` } },
        },
      ],
    });
    absent(denyPinned, "OIDC-001");
  });
  it("OIDC-002: a Condition block is present", () =>
    absent(github(`${IMMUTABLE}:ref:refs/heads/main`), "OIDC-002"));
  it("OIDC-003/-004: a branch wildcard is not issuer-wide nor a tenant wildcard", () => {
    const text = github(`${IMMUTABLE}:ref:refs/heads/*`, "StringLike");
    absent(text, "OIDC-003");
    absent(text, "OIDC-004");
  });
  it("OIDC-005: repository-wide is not tenant-wide", () =>
    absent(github("repo:contoso-dev/infra-live:*", "StringLike"), "OIDC-005"));
  it("OIDC-006/-007: a release/* subtree with a delimiter is neither", () => {
    const text = github(`${IMMUTABLE}:ref:refs/heads/release/*`, "StringLike");
    absent(text, "OIDC-007");
    absent(text, "OIDC-003");
  });
  it("OIDC-008: a pinned run phase", () =>
    absent(
      trust("app.terraform.io", {
        StringEquals: {
          "app.terraform.io:aud": "aws.workload.identity",
          "app.terraform.io:sub": "organization:contoso:project:core:workspace:prod:run_phase:plan",
        },
      }),
      "OIDC-008",
    ));
  it("OIDC-009: a custom subject led by repository_owner_id", () =>
    absent(github("repository_owner_id:5550123:environment:production"), "OIDC-009"));
  it("OIDC-010/-011: two tight values, two tight statements", () => {
    absent(github([`${IMMUTABLE}:ref:refs/heads/main`, `${IMMUTABLE}:environment:production`]), "OIDC-010");
    const two = JSON.parse(github(`${IMMUTABLE}:ref:refs/heads/main`));
    two.Statement.push(
      JSON.parse(github("repo:contoso-dev@5550123/docs@111:ref:refs/heads/main")).Statement[0],
    );
    absent(JSON.stringify(two), "OIDC-011");
  });
  it("OIDC-012: a negation next to a positive pin of the same key", () =>
    absent(lintFixtureText("catalogue/OIDC-012.fixed.json"), "OIDC-012"));
  it("OIDC-013/-014: the immutable @id form is not a name pin nor a hyphen look-alike (Checkov's false positive)", () => {
    assert.deepEqual(rules(lintText(github(`${IMMUTABLE}:ref:refs/heads/main`))), []);
    absent(github("repo:team-2024/app:ref:refs/heads/main"), "OIDC-014");
  });
  it("OIDC-015: GitHub workflow next to a tenant pin; env0 without env0Tag", () => {
    absent(
      github(`${IMMUTABLE}:ref:refs/heads/main`, "StringEquals", { [`${GH}:workflow`]: "release" }),
      "OIDC-015",
    );
    absent(lintFixtureText("seeds/env0-organization-gate.json"), "OIDC-015");
  });
  it("OIDC-016: audience pinned", () => absent(github(`${IMMUTABLE}:ref:refs/heads/main`), "OIDC-016"));
  it("OIDC-017: a pinned namespace and service account", () =>
    absent(
      trust("oidc.eks.eu-west-1.amazonaws.com/id/ABC", {
        StringEquals: {
          "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
          "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:deploy:terraform",
        },
      }),
      "OIDC-017",
    ));
  it("OIDC-101: a wildcard under StringLike", () =>
    absent(github(`${IMMUTABLE}:ref:refs/heads/*`, "StringLike"), "OIDC-101"));
  it("OIDC-102: the audience the platform sends", () =>
    absent(
      trust("app.terraform.io", {
        StringEquals: {
          "app.terraform.io:aud": "aws.workload.identity",
          "app.terraform.io:sub": "organization:contoso:project:core:workspace:prod:run_phase:apply",
        },
      }),
      "OIDC-102",
    ));
  it("OIDC-103: environment key with the environment-form subject", () =>
    absent(
      github(`${IMMUTABLE}:environment:production`, "StringEquals", { [`${GH}:environment`]: "production" }),
      "OIDC-103",
    ));
  it("OIDC-104: GitHub provider-specific keys and env0's trailing slash", () => {
    absent(
      github(`${IMMUTABLE}:ref:refs/heads/main`, "StringEquals", { [`${GH}:repository_id`]: "9876543" }),
      "OIDC-104",
    );
    absent(lintFixtureText("seeds/env0-sub.json"), "OIDC-104");
  });
  it("OIDC-105/-106: the seed's chained workload trust (AWS principal, sts:AssumeRole, no tags)", () =>
    assert.deepEqual(rules(lintFixture("seeds/workload-cicd.json")), []));
  it("OIDC-108: session tags on a platform that sends them on request", () =>
    absent(
      trust(
        "agent.buildkite.com",
        {
          StringEquals: {
            "agent.buildkite.com:aud": "sts.amazonaws.com",
            "agent.buildkite.com:sub":
              "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:abc:step:deploy",
            "aws:RequestTag/organization_id": "0000",
          },
        },
        ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
      ),
      "OIDC-108",
    ));
  it("OIDC-109: repo:* passes IAM's spelling check (it is OIDC-003 instead)", () => {
    const text = github("repo:*", "StringLike");
    absent(text, "OIDC-109");
    present(text, "OIDC-003");
  });
  it("OIDC-201/-202/-203: plain operators, real patterns, distinct keys", () => {
    const text = github(`${IMMUTABLE}:ref:refs/heads/*`, "StringLike");
    for (const r of ["OIDC-201", "OIDC-202", "OIDC-203"]) absent(text, r);
  });
});

describe("bad policies only a policy-level check can see", () => {
  it("OIDC-103: environment key with a ref-form subject admits nobody", () =>
    present(
      github(`${IMMUTABLE}:ref:refs/heads/main`, "StringEquals", { [`${GH}:environment`]: "production" }),
      "OIDC-103",
    ));
  it("OIDC-012: IfExists on the subject fails open", () =>
    present(github("repo:contoso-dev/infra-live:ref:refs/heads/main", "StringEqualsIfExists"), "OIDC-012"));
  it("OIDC-017: a service account pinned by name in any namespace (the EKS record's scoped name)", () => {
    const eks = "oidc.eks.eu-west-1.amazonaws.com/id/ABC";
    const text = trust(eks, {
      StringEquals: { [`${eks}:aud`]: "sts.amazonaws.com" },
      StringLike: { [`${eks}:sub`]: "system:serviceaccount:*:terraform" },
    });
    present(text, "OIDC-017");
    assert.match(
      lintText(text).find((f) => f.rule === "OIDC-017")!.message,
      /pins service account "terraform" in any namespace/,
    );
  });
  it("OIDC-017: a Spacelift space slug (the record's non-unique field)", () =>
    present(
      trust("acme.app.spacelift.io", {
        StringEquals: {
          "acme.app.spacelift.io:aud": "acme.app.spacelift.io",
          "acme.app.spacelift.io:sub": "space:production:stack:app:run_type:TRACKED:scope:write",
        },
      }),
      "OIDC-017",
    ));
});

describe("the traps of the other tools", () => {
  it("a weak GitHub statement after a non-GitHub one is flagged", () => {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::444455556666:role/ci" },
          Action: "sts:AssumeRole",
        },
        JSON.parse(github("repo:*", "StringLike")).Statement[0],
      ],
    };
    const findings = lintText(JSON.stringify(policy));
    assert.ok(findings.some((f) => f.rule === "OIDC-003" && f.statement === 1));
    assert.ok(findings.some((f) => f.rule === "OIDC-011" && f.statement === 1));
  });
  it("StringEquals with repo:org/* denies everyone: OIDC-101, not 'too broad'", () => {
    const found = rules(lintText(github("repo:contoso-dev/*")));
    assert.ok(found.includes("OIDC-101"));
    assert.ok(!found.includes("OIDC-005") && !found.includes("OIDC-003"));
  });
  it("${?} and ${*} are literal escapes, not wildcards: no OIDC-101 under StringEquals", () => {
    // The engine (so the emulator and explain) compares them as a literal "?"/"*" and admits a token whose
    // sub holds one: OIDC-101's "no real token matches" would be false.
    for (const value of [`${IMMUTABLE}:ref:refs/heads/$\{?}`, `${IMMUTABLE}:ref:refs/heads/$\{*}`]) {
      const found = rules(lintText(github(value)));
      assert.ok(!found.includes("OIDC-101"), `${value}: ${found.join(", ")}`);
    }
    // A bare wildcard next to an escape is still one.
    present(github(`${IMMUTABLE}:ref:refs/heads/$\{?}*`), "OIDC-101");
  });
  it("without Version 2012-10-17 there are no escapes: ${?} under StringEquals is OIDC-101", () => {
    const policy = JSON.parse(github(`${IMMUTABLE}:ref:refs/heads/$\{?}`));
    delete policy.Version;
    present(JSON.stringify(policy), "OIDC-101");
  });
  it("StringLike whose only */? are escapes is an exact match (OIDC-202), not a pattern", () =>
    present(github(`${IMMUTABLE}:ref:refs/heads/$\{*}`, "StringLike"), "OIDC-202"));
  it("a loose value after a tight one in a list", () =>
    present(github([`${IMMUTABLE}:ref:refs/heads/main`, "repo:contoso-dev/*"], "StringLike"), "OIDC-010"));
  it("env0's env0Tag as the gate", () => present(lintFixtureText("catalogue/OIDC-015.bad.json"), "OIDC-015"));
  it("missing sts:TagSession when the platform sends tags", () =>
    present(lintFixtureText("catalogue/OIDC-106.bad.json"), "OIDC-106"));
});

describe("the seeds' trust policies", () => {
  it("env0 with sub and the organizationId tag gate is clean", () => {
    assert.deepEqual(rules(lintFixture("seeds/env0-organization-gate.json")), []);
    assert.deepEqual(rules(lintFixture("seeds/env0-sub.json")), []);
  });
  it("Spacelift's relaxed 'any stack in the account' trust is flagged", () => {
    const findings = lintFixture("seeds/spacelift-relaxed.json");
    assert.ok(findings.some((f) => f.rule === "OIDC-001" && f.severity === "high"));
  });
  it("Spacelift's per-stack pattern still admits proposed runs", () =>
    present(lintFixtureText("seeds/spacelift-stack.json"), "OIDC-006"));
  it("seed 003's tooling trust: with aud and sub only the name-recycling note (medium) remains", () => {
    assert.deepEqual(rules(lintFixture("seeds/github-tooling.json")), ["OIDC-013"]);
    assert.ok(rules(lintFixture("seeds/github-tooling-sub-only.json")).includes("OIDC-016"));
  });
});

import { readFileSync } from "node:fs";
import { FIXTURES } from "./helpers.js";

function lintFixtureText(relative: string): string {
  return readFileSync(FIXTURES + relative, "utf8");
}

describe("IAM's trust-policy size quota (OIDC-109), counted as the emulator counts it", () => {
  const subjects = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => `repo:contoso-dev@5550123/app-${i}@${9876000 + i}:ref:refs/heads/main`,
    );
  it("a policy over 2048 characters without whitespace is refused at write time", () => {
    const text = github(subjects(40));
    assert.ok(JSON.stringify(JSON.parse(text)).length > 2048);
    const found = lintText(text).filter((f) => f.rule === "OIDC-109");
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.match(found[0]!.message, /ACLSizePerRole: 2048.*it is \d+ characters without whitespace/);
  });
  it("whitespace does not count: the same short policy indented past 2048 characters passes", () => {
    const compact = github(subjects(12));
    const indented = JSON.stringify(JSON.parse(compact), null, 16);
    assert.ok(compact.length <= 2048 && indented.length > 2048, `${compact.length} ${indented.length}`);
    absent(indented, "OIDC-109");
  });
});

describe('"Federated": "<host>" for an IAM OIDC provider (the emulator and explain admit no token)', () => {
  const withPrincipal = (federated: string) => {
    const policy = JSON.parse(github(`${IMMUTABLE}:ref:refs/heads/main`));
    policy.Statement[0].Principal = { Federated: federated };
    return JSON.stringify(policy);
  };
  it("a GitHub host instead of the provider ARN is OIDC-105, and no exposure finding", () => {
    const findings = lintText(withPrincipal(GH));
    assert.deepEqual(rules(findings), ["OIDC-105"]);
    assert.match(
      findings[0]!.message,
      /arn:aws:iam::<account>:oidc-provider\/token\.actions\.githubusercontent\.com/,
    );
  });
  it("AWS's built-in providers are named by domain, rightly", () => {
    const google = JSON.parse(
      trust("accounts.google.com", {
        StringEquals: {
          "accounts.google.com:aud": "123.apps.googleusercontent.com",
          "accounts.google.com:sub": "1234567890",
        },
      }),
    );
    google.Statement[0].Principal = { Federated: "accounts.google.com" };
    absent(JSON.stringify(google), "OIDC-105");
  });
});

describe("OIDC-104 says what the engine does with the absent key", () => {
  const on = (operator: string, value: unknown) =>
    lintText(
      github(`${IMMUTABLE}:ref:refs/heads/main`, "StringEquals", {}).replace(
        '"Condition":{',
        `"Condition":{${JSON.stringify(operator)}:{"${GH}:runner_environment":${JSON.stringify(value)}},`,
      ),
    ).find((f) => f.rule === "OIDC-104");
  for (const [operator, value] of [
    ["Bool", "true"],
    ["NumericEquals", "1"],
    ["Null", "false"],
    ["ForAnyValue:StringEquals", "x"],
  ] as const) {
    it(`${operator} on a key STS never sets is always false: nobody gets in`, () =>
      assert.match(on(operator, value)?.message ?? "none", /always false: nobody can assume the role/));
  }
  for (const [operator, value] of [
    ["BoolIfExists", "true"],
    ["StringNotEquals", "x"],
    ["Null", "true"],
    ["ForAllValues:StringEquals", "x"],
  ] as const) {
    it(`${operator} on a key STS never sets is always true: it fails open`, () =>
      assert.match(on(operator, value)?.message ?? "none", /always true: the condition fails open/));
  }
});

describe("OIDC-108: any condition false for an absent session tag, by the engine's rule", () => {
  // GitHub's tokens carry no session tags.
  const withTag = (operator: string, value: string) =>
    github(`${IMMUTABLE}:ref:refs/heads/main`).replace(
      '"Condition":{',
      `"Condition":{"${operator}":{"aws:RequestTag/team":"${value}"},`,
    );
  for (const [operator, value] of [
    ["StringLike", "core"],
    ["Bool", "true"],
    ["NumericEquals", "1"],
  ]) {
    it(`${operator} on a tag GitHub never sends locks everyone out`, () =>
      present(withTag(operator!, value!), "OIDC-108"));
  }
  it("StringNotEquals on an absent tag is true: no OIDC-108", () =>
    absent(withTag("StringNotEquals", "x"), "OIDC-108"));
});
