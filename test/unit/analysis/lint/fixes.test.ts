import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Finding } from "../../../../src/analysis/lint/findings.js";
import { applyFix } from "../../../../src/analysis/lint/fixes.js";
import { readText } from "../../../../src/analysis/lint/inputs/index.js";
import { type LintOptions, lintSource } from "../../../../src/analysis/lint/lint.js";
import { authorizeWebIdentity, webIdentityRequest } from "../../../../src/core/federation/index.js";
import { type Json, parsePolicy } from "../../../../src/core/policy/index.js";
import { providerConditionKeys } from "../../../../src/platforms/index.js";

/**
 * Every fix lint writes, applied to its bad example, is checked with the engine: the platform's
 * legitimate token is admitted, the unwanted ones (another tenant, another audience) refused, and the
 * finding is gone. The bad examples are generated: a tight statement per platform, one fault injected.
 */
const ACCOUNT = "444455556666";

interface PlatformCase {
  readonly host: string;
  readonly audience: string | undefined;
  subject(tenant: string, project: string): string;
  /** Claims a legitimate token carries besides iss/sub/aud. */
  readonly extra?: Record<string, string>;
}

const PLATFORMS: Record<string, PlatformCase> = {
  github: {
    host: "token.actions.githubusercontent.com",
    audience: "sts.amazonaws.com",
    subject: (t, p) => `repo:${t}/${p}:ref:refs/heads/main`,
    extra: { repository_id: "9876543", repository_owner_id: "5550123" },
  },
  gitlab: {
    host: "gitlab.com",
    audience: undefined,
    subject: (t, p) => `project_path:${t}/${p}:ref_type:branch:ref:main`,
    extra: { project_id: "4242", namespace_id: "77" },
  },
  tfc: {
    host: "app.terraform.io",
    audience: "aws.workload.identity",
    subject: (t, p) => `organization:${t}:project:${p}:workspace:prod:run_phase:apply`,
  },
};

type Statement = Record<string, Json>;
type Fault = (s: Statement, p: PlatformCase) => string | undefined;

const conditions = (s: Statement) => s.Condition as Record<string, Record<string, Json>>;

/** Each fault: what it does to a tight statement, and the rule whose fix must undo it. */
const FAULTS: Record<string, { rule: string; inject: Fault }> = {
  "another provider's prefix": {
    rule: "OIDC-104",
    inject: (s, p) => {
      const eq = conditions(s).StringEquals!;
      eq["other.example.com:sub"] = eq[`${p.host}:sub`]!;
      delete eq[`${p.host}:sub`];
      // The sub is then unpinned: keep it pinned by the renamed key only when the fix renames it back.
      return undefined;
    },
  },
  "a claim that is not a key (lock-out)": {
    rule: "OIDC-104",
    inject: (s, p) => {
      conditions(s).StringEquals![`${p.host}:custom_pipeline_claim`] = "x";
      return undefined;
    },
  },
  "a wildcard under StringEquals": {
    rule: "OIDC-101",
    inject: (s, p) => {
      const eq = conditions(s).StringEquals!;
      eq[`${p.host}:sub`] = `${String(eq[`${p.host}:sub`]).slice(0, -2)}*`;
      return undefined;
    },
  },
  "a StringLike without a wildcard": {
    rule: "OIDC-202",
    inject: (s, p) => {
      const eq = conditions(s).StringEquals!;
      conditions(s).StringLike = { [`${p.host}:sub`]: eq[`${p.host}:sub`]! };
      delete eq[`${p.host}:sub`];
      return undefined;
    },
  },
  "a set qualifier on sub": {
    rule: "OIDC-201",
    inject: (s, p) => {
      const eq = conditions(s).StringEquals!;
      conditions(s)["ForAnyValue:StringEquals"] = { [`${p.host}:sub`]: eq[`${p.host}:sub`]! };
      delete eq[`${p.host}:sub`];
      return undefined;
    },
  },
  "IfExists on sub": {
    rule: "OIDC-012",
    inject: (s, p) => {
      const eq = conditions(s).StringEquals!;
      conditions(s).StringEqualsIfExists = { [`${p.host}:sub`]: eq[`${p.host}:sub`]! };
      delete eq[`${p.host}:sub`];
      return undefined;
    },
  },
  "the wrong audience": {
    rule: "OIDC-102",
    inject: (s, p) => {
      if (p.audience === undefined) return "skip";
      conditions(s).StringEquals![`${p.host}:aud`] = "https://wrong.example.com";
      return undefined;
    },
  },
  "no audience": {
    rule: "OIDC-016",
    inject: (s, p) => {
      if (p.audience === undefined) return "skip";
      delete conditions(s).StringEquals![`${p.host}:aud`];
      return undefined;
    },
  },
  "the wrong action": {
    rule: "OIDC-105",
    inject: (s) => {
      s.Action = "sts:AssumeRole";
      return undefined;
    },
  },
};

function tight(p: PlatformCase, tenant: string, project: string): Statement {
  const audience = p.audience ?? `https://${p.host}`;
  return {
    Effect: "Allow",
    Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${p.host}` },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: {
      StringEquals: { [`${p.host}:aud`]: audience, [`${p.host}:sub`]: p.subject(tenant, project) },
    },
  };
}

function lint(policy: Json, options: LintOptions = {}): Finding[] {
  return readText("policy.json", JSON.stringify(policy), { strict: true }).flatMap((s) =>
    lintSource(s, options),
  );
}

function admits(policy: Json, p: PlatformCase, claims: Record<string, unknown>): boolean {
  const built = webIdentityRequest({
    claims: { iss: `https://${p.host}`, ...claims },
    providerUrl: `https://${p.host}`,
    account: ACCOUNT,
    roleSessionName: "ci",
    providerKeys: providerConditionKeys(p.host),
    now: Date.UTC(2026, 0, 1),
  });
  assert.ok(built.ok);
  return authorizeWebIdentity(parsePolicy(JSON.stringify(policy), { kind: "trust" }), built.request);
}

const name = fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/);

describe("every machine-readable fix, applied and checked with the engine", () => {
  for (const [faultName, { rule, inject }] of Object.entries(FAULTS)) {
    it(`${rule}: ${faultName}`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(PLATFORMS)), name, name, (platform, tenant, project) => {
          const p = PLATFORMS[platform]!;
          const statement = tight(p, tenant, project);
          if (inject(statement, p) === "skip") return;
          const bad: Json = { Version: "2012-10-17", Statement: [statement] };
          const fixes = lint(bad).filter((f) => f.rule === rule);
          assert.ok(fixes.length > 0, `${rule} not raised on ${JSON.stringify(bad)}`);
          let fixed: Json = bad;
          for (const f of fixes) {
            assert.ok(f.fix, `${rule} carries no fix: ${f.message}`);
            assert.ok(f.fix.statement, "the fixed statement's text");
            fixed = applyFix(fixed, f.statement!, f.fix);
          }
          assert.deepEqual(
            lint(fixed).filter((f) => f.rule === rule),
            [],
            JSON.stringify(fixed),
          );
          const aud = p.audience ?? `https://${p.host}`;
          const legit = { sub: p.subject(tenant, project), aud, ...p.extra };
          assert.ok(admits(fixed, p, legit), `legitimate token refused by ${JSON.stringify(fixed)}`);
          assert.ok(
            !admits(fixed, p, { ...legit, sub: p.subject(`zz${tenant}`, project) }),
            "another tenant",
          );
          if (p.audience !== undefined)
            assert.ok(!admits(fixed, p, { ...legit, aud: "sigstore" }), "another audience");
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe("the self-managed GitLab field report: no advice AWS cannot honour, and the lock-out is an error", () => {
  const host = "gitlab.example.com";
  const options: LintOptions = { platforms: { byHost: new Map([[host, "gitlab"]]) } };
  const statement = (extra: Record<string, string> = {}): Json => ({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${host}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${host}:aud`]: `https://${host}`, ...extra },
          StringLike: { [`${host}:sub`]: "project_path:mygroup/app:ref_type:branch:ref:main" },
        },
      },
    ],
  });

  it("OIDC-013 does not advise project_id / namespace_id, which AWS gives gitlab.com only", () => {
    const findings = lint(statement(), options);
    const pinned = findings.filter((f) => f.rule === "OIDC-013");
    assert.equal(pinned.length, 1, JSON.stringify(findings));
    assert.doesNotMatch(pinned[0]!.message, /project_id|namespace_id/);
    assert.equal(pinned[0]!.fix, undefined);
    for (const f of findings) assert.doesNotMatch(JSON.stringify(f.fix ?? {}), /project_id|namespace_id/);
  });

  it("a policy that applied the old advice is a lock-out: OIDC-104 at high, and the engine agrees", () => {
    const locked = statement({ [`${host}:project_id`]: "4242", [`${host}:namespace_id`]: "77" });
    const findings = lint(locked, options).filter((f) => f.rule === "OIDC-104");
    assert.equal(findings.length, 2, JSON.stringify(findings));
    for (const f of findings) assert.equal(f.severity, "high");
    const p: PlatformCase = { host, audience: `https://${host}`, subject: () => "" };
    const legit = {
      sub: "project_path:mygroup/app:ref_type:branch:ref:main",
      aud: `https://${host}`,
      project_id: "4242",
      namespace_id: "77",
    };
    assert.equal(admits(locked, p, legit), false, "the engine denies every token");
    let fixed: Json = locked;
    for (const f of findings) fixed = applyFix(fixed, f.statement!, f.fix!);
    assert.equal(admits(fixed, p, legit), true);
  });

  it("on gitlab.com the same keys exist, and OIDC-013 advises them", () => {
    const gl = JSON.parse(JSON.stringify(statement()).replaceAll(host, "gitlab.com")) as Json;
    const pinned = lint(gl).filter((f) => f.rule === "OIDC-013");
    assert.match(pinned[0]!.message, /gitlab\.com:project_id/);
    const withIds = JSON.parse(
      JSON.stringify(statement({ [`${host}:project_id`]: "4242" })).replaceAll(host, "gitlab.com"),
    ) as Json;
    assert.deepEqual(
      lint(withIds).filter((f) => f.rule === "OIDC-104"),
      [],
    );
  });
});
