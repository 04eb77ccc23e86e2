import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  generate,
  INIT_PLATFORMS,
  type InitOptions,
  type InitPlatform,
} from "../../../../src/analysis/init/index.js";
import { parsePolicy } from "../../../../src/core/policy/index.js";
import { tempDir } from "../../../support/tmp.js";
import {
  cliPolicies,
  FULL,
  lintPolicy,
  MINIMAL,
  TOOLING,
  terraformTrustPolicies,
  WORKLOADS,
  yamlDocuments,
} from "./helpers.js";

const options = (platform: InitPlatform, scope = FULL[platform], workloads: string[] = []): InitOptions => ({
  platform,
  scope,
  toolingAccount: TOOLING,
  workloadAccounts: workloads,
});
/** A statement as the generator writes it. */
interface Stmt {
  Action: string | string[];
  Principal: { AWS?: string; Federated?: string };
  Condition: Record<string, Record<string, string>>;
  Resource?: string[];
}
const rulesOf = (findings: { rule: string }[]) => findings.map((f) => f.rule).sort();
const distinct = (findings: { rule: string }[]) => [...new Set(rulesOf(findings))];
/** What a trust policy of the plan may leave: exactly the findings init declares unavoidable (each
 * once per web-identity role; a chaining hop leaves none). */
const unavoidableFor = (plan: { unavoidable: readonly { rule: string }[] }, policy: object | string) =>
  (typeof policy === "string" ? policy : JSON.stringify(policy)).includes("AssumeRoleWithWebIdentity")
    ? plan.unavoidable.map((u) => u.rule).sort()
    : [];
const dir = tempDir("keyless-init-");
after(() => dir.cleanup());

describe("keyless init aws: every platform × format lints clean but for the declared unavoidable findings", () => {
  for (const platform of INIT_PLATFORMS) {
    for (const workloads of [[], WORKLOADS]) {
      const label = `${platform}${workloads.length > 0 ? " (tooling + 2 workload accounts)" : ""}`;
      it(`${label}: json`, () => {
        const out = generate(options(platform, FULL[platform], workloads), "json", "test");
        const doc = JSON.parse(out.stdout);
        assert.ok(!JSON.stringify(doc).includes("_comment"));
        assert.ok(out.note?.includes("How the pipeline uses it"));
        const phased = platform === "tfc" || platform === "keyless";
        assert.equal(doc.roles.length, (phased ? 2 : 1) * (1 + workloads.length));
        for (const role of doc.roles) {
          parsePolicy(JSON.stringify(role.trustPolicy), { kind: "trust" });
          assert.deepEqual(
            rulesOf(lintPolicy(platform, role.trustPolicy)),
            unavoidableFor(out.plan, role.trustPolicy),
            role.name,
          );
          if (role.inlinePolicy)
            parsePolicy(JSON.stringify(role.inlinePolicy.document), { kind: "identity" });
        }
      });
      it(`${label}: terraform (structure; fmt is checked below)`, () => {
        const out = generate(options(platform, FULL[platform], workloads), "terraform", "test");
        const roles = terraformTrustPolicies(out.stdout);
        assert.equal(roles.length, out.plan.roles.length);
        // AWS's built-in providers (Google, Cognito) need no IAM OIDC provider, so none is written.
        const builtin = platform === "google" || platform === "cognito";
        assert.equal(out.plan.provider.builtin, builtin);
        assert.equal(
          out.stdout.match(/resource "aws_iam_openid_connect_provider"/g)?.length ?? 0,
          builtin ? 0 : 1,
        );
        if (!builtin) assert.ok(out.stdout.includes(`url            = "${out.plan.provider.url}"`));
        else assert.ok(!out.stdout.includes("aws_iam_openid_connect_provider"));
        assert.ok(!out.stdout.includes("thumbprint_list ="), "no thumbprint unless asked");
        for (const { resource, policy } of roles) {
          assert.deepEqual(rulesOf(lintPolicy(platform, policy)), unavoidableFor(out.plan, policy), resource);
          const planned = out.plan.roles.find((r) => r.id === resource);
          assert.deepEqual(policy, planned?.trustPolicy);
        }
        for (const w of workloads) assert.ok(out.stdout.includes(`alias               = "workload_${w}"`));
        // Every resource explains itself.
        for (const m of out.stdout.matchAll(/\n(resource "aws_iam_role" [^\n]+)/g)) {
          const before = out.stdout.slice(0, out.stdout.indexOf(m[1]!)).trimEnd().split("\n").pop()!;
          assert.match(before, /^# /, `${m[1]} has no comment above it`);
        }
        const d = join(dir.path, "tf", label.replace(/\W+/g, "-"));
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, "main.tf"), out.stdout);
      });
      it(`${label}: cloudformation (YAML) and cloudformation-json`, () => {
        const yaml = generate(options(platform, FULL[platform], workloads), "cloudformation", "test");
        const docs = yamlDocuments(yaml.stdout);
        assert.equal(docs.length, 1 + workloads.length);
        for (const [i, text] of docs.entries()) {
          const findings = lintPolicy(platform, text, `t${i}.yaml`);
          assert.deepEqual(distinct(findings), unavoidableFor(yaml.plan, text));
        }
        assert.match(yaml.stdout, /Version: "2012-10-17"/);
        assert.match(yaml.stdout, /# - aud: /);
        const json = generate(options(platform, FULL[platform], workloads), "cloudformation-json", "test");
        for (const f of json.files) {
          const template = JSON.parse(f.text);
          assert.equal(template.AWSTemplateFormatVersion, "2010-09-09");
          for (const r of Object.values<{ Type: string; Metadata: { Why: string[] } }>(template.Resources))
            assert.ok(r.Metadata.Why.length > 0, "every resource says why");
          assert.deepEqual(
            distinct(lintPolicy(platform, f.text, f.path)),
            unavoidableFor(json.plan, f.text),
            f.path,
          );
        }
        // Linted through the files the user gets, the number of policies is that of the roles.
        const count = json.files.reduce(
          (n, f) =>
            n +
            Object.values<{ Type: string }>(JSON.parse(f.text).Resources).filter(
              (r) => r.Type === "AWS::IAM::Role",
            ).length,
          0,
        );
        assert.equal(count, json.plan.roles.length);
      });
      it(`${label}: cli (bash -n, policies lint clean)`, () => {
        const out = generate(options(platform, FULL[platform], workloads), "cli", "test");
        const file = join(dir.path, `${label.replace(/\W+/g, "-")}.sh`);
        writeFileSync(file, out.stdout);
        execFileSync("bash", ["-n", file]);
        const policies = cliPolicies(out.stdout);
        const trust = policies.filter((p) => p.file.endsWith(".trust.json"));
        assert.equal(trust.length, out.plan.roles.length);
        for (const p of trust)
          assert.deepEqual(
            rulesOf(lintPolicy(platform, p.policy)),
            unavoidableFor(out.plan, p.policy),
            p.file,
          );
        for (const p of policies.filter((p) => p.file.endsWith(".permissions.json")))
          parsePolicy(JSON.stringify(p.policy), { kind: "identity" });
        for (const a of [TOOLING, ...workloads]) assert.ok(out.stdout.includes(`check_account ${a}`));
      });
    }
  }
  it("terraform fmt -check passes on every generated configuration", () => {
    // terraform 1.11 on PATH; fmt needs no provider. Runs last, over the directories written above.
    execFileSync("terraform", ["fmt", "-check", "-recursive", join(dir.path, "tf")], { stdio: "pipe" });
  });
});

describe("keyless init aws: least privilege by default", () => {
  const trustOf = (platform: InitPlatform, scope = FULL[platform]) =>
    generate(options(platform, scope), "json", "test").plan.roles.map(
      (r) => r.trustPolicy.Statement[0] as unknown as Stmt,
    );
  for (const platform of INIT_PLATFORMS) {
    it(`${platform}: aud always, and sts:TagSession only where the token carries tags`, () => {
      for (const s of trustOf(platform)) {
        const equals = s.Condition.StringEquals as Record<string, string>;
        assert.ok(
          Object.keys(equals).some((k) => k.endsWith(":aud")),
          "aud condition",
        );
        const tags = Object.keys(equals).some((k) => k.startsWith("aws:RequestTag/"));
        const actions = [s.Action].flat();
        assert.equal(
          actions.includes("sts:TagSession"),
          platform === "env0" || tags,
          JSON.stringify(actions),
        );
      }
    });
    it(`${platform}: the minimal scope leaves exactly ${MINIMAL[platform].remaining.join(", ") || "no finding"}`, () => {
      const out = generate(options(platform, MINIMAL[platform].scope), "json", "test");
      for (const r of out.plan.roles)
        assert.deepEqual(rulesOf(lintPolicy(platform, r.trustPolicy)), MINIMAL[platform].remaining, r.name);
      assert.deepEqual(
        out.plan.unavoidable.map((u) => u.rule),
        MINIMAL[platform].remaining,
      );
    });
  }
  it("env0 gates on the organizationId session tag, never on env0Tag", () => {
    const [s] = trustOf("env0");
    assert.equal(s!.Condition.StringEquals!["aws:RequestTag/organizationId"], FULL.env0["organization-id"]);
    assert.ok(!JSON.stringify(s).includes("env0Tag"));
    assert.deepEqual(s!.Action, ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]);
  });
  it("tfc and keyless get a plan role and an apply role pinned to their phase", () => {
    const tfc = trustOf("tfc").map((s) => s.Condition.StringEquals!["app.terraform.io:sub"]);
    assert.deepEqual(tfc, [
      "organization:acme:project:core:workspace:prod:run_phase:plan",
      "organization:acme:project:core:workspace:prod:run_phase:apply",
    ]);
    const keyless = trustOf("keyless").map((s) => s.Condition.StringEquals!["id.example.com:sub"]);
    assert.deepEqual(keyless, [
      "org:acme:project:core:env:prod:phase:plan",
      "org:acme:project:core:env:prod:phase:apply",
    ]);
  });
  it("keyless --session-tags adds sts:TagSession; other platforms refuse it", () => {
    const out = generate({ ...options("keyless"), sessionTags: true }, "json", "test");
    for (const r of out.plan.roles)
      assert.deepEqual((r.trustPolicy.Statement[0] as unknown as Stmt).Action, [
        "sts:AssumeRoleWithWebIdentity",
        "sts:TagSession",
      ]);
    assert.throws(
      () => generate({ ...options("github"), sessionTags: true }, "json", "test"),
      /carry no session tags/,
    );
    assert.throws(() => generate({ ...options("env0"), sessionTags: true }, "json", "test"), /always sends/);
  });
  it("workload roles trust only the tooling role of the same phase, and the tooling role may only chain to them", () => {
    const out = generate(options("tfc", FULL.tfc, WORKLOADS), "json", "test");
    for (const w of out.plan.roles.filter((r) => r.kind === "chained")) {
      const s = w.trustPolicy.Statement[0] as unknown as Stmt;
      assert.equal(s.Principal.AWS, `arn:aws:iam::${TOOLING}:role/keyless-tfc-${w.phase}`);
      assert.equal(s.Action, "sts:AssumeRole");
    }
    const apply = out.plan.roles.find((r) => r.kind === "web-identity" && r.phase === "apply")!;
    assert.deepEqual(
      (apply.inlinePolicy!.document.Statement[0] as unknown as Stmt).Resource,
      WORKLOADS.map((w) => `arn:aws:iam::${w}:role/keyless-tfc-workload-apply`),
    );
  });
  it("a thumbprint only when given", () => {
    const out = generate(
      { ...options("github"), thumbprints: ["6938fd4d98bab03faadb97b34396831e3780aea1"] },
      "terraform",
      "test",
    );
    assert.match(out.stdout, /thumbprint_list = \["6938fd4d98bab03faadb97b34396831e3780aea1"\]/);
  });
});

describe("keyless init aws: bad input is refused with one clear message", () => {
  const refuses = (o: Partial<InitOptions>, message: RegExp) =>
    assert.throws(() => generate({ ...options("github"), ...o } as InitOptions, "json", "test"), message);
  it("wildcards, separators and shell metacharacters in scope values", () => {
    refuses({ scope: { ...FULL.github, repository: "*" } }, /wildcards are not allowed/);
    refuses({ scope: { ...FULL.github, branch: "ma:in" } }, /separates the fields/);
    refuses({ scope: { ...FULL.github, branch: "main$(id)" } }, /not allowed/);
  });
  it("missing or foreign scope flags", () => {
    refuses({ scope: { organization: "acme" } }, /GitHub Actions needs --repository/);
    refuses({ scope: { ...FULL.github, workspace: "prod" } }, /--workspace is not a scope of GitHub Actions/);
  });
  it("accounts", () => {
    refuses({ toolingAccount: "12345" }, /12-digit/);
    refuses({ workloadAccounts: [TOOLING] }, /is the tooling account/);
  });
  it("platform-specific shapes", () => {
    assert.throws(
      () => generate(options("env0", { ...FULL.env0, "organization-subject": "github|1" }), "json", "test"),
      /auth0\|/,
    );
    assert.throws(
      () =>
        generate(options("keyless", { ...FULL.keyless, issuer: "http://id.example.com" }), "json", "test"),
      /https/,
    );
    assert.throws(
      () => generate(options("spacelift", { organization: "acme", stack: "x" }), "json", "test"),
      /--space-path/,
    );
  });
});
