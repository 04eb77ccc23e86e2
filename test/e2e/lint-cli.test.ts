import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { RULES } from "../../src/analysis/lint/rules/catalogue.js";
import { runKeyless } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const FIX = new URL("../../../test/fixtures/", import.meta.url).pathname;
const json = (s: string) =>
  JSON.parse(s) as {
    findings: { rule: string; severity: string; file: string; statement: number | null; location: string }[];
    suppressed: { reason: string }[];
  };

describe("keyless lint (the built CLI)", () => {
  it("exit 0 on a clean policy, 1 at or above --fail-on, 2 on bad input", async () => {
    assert.equal((await runKeyless(["lint", `${FIX}lint/seeds/env0-organization-gate.json`])).code, 0);
    assert.equal((await runKeyless(["lint", `${FIX}lint/seeds/spacelift-relaxed.json`])).code, 1);
    // OIDC-013 is medium: below the default --fail-on high, at --fail-on medium.
    assert.equal((await runKeyless(["lint", `${FIX}lint/seeds/github-tooling.json`])).code, 0);
    assert.equal(
      (await runKeyless(["lint", "--fail-on", "medium", `${FIX}lint/seeds/github-tooling.json`])).code,
      1,
    );
    const bad = await runKeyless(["lint", `${FIX}sarif/../lint/nope.json`]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
    const t = tempDir();
    try {
      writeFileSync(join(t.path, "broken.json"), '{"Statement": [');
      const r = await runKeyless(["lint", join(t.path, "broken.json")]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /not valid JSON/);
      writeFileSync(join(t.path, "other.json"), '{"name": "x"}');
      assert.equal((await runKeyless(["lint", join(t.path, "other.json")])).code, 2);
      assert.equal((await runKeyless(["lint", "--format", "xml", join(t.path, "other.json")])).code, 2);
    } finally {
      t.cleanup();
    }
  });

  it("reads get-role output, Terraform show JSON, CloudFormation YAML with short tags, and directories", async () => {
    const r = await runKeyless(["lint", "--format", "json", "--fail-on", "info", `${FIX}lint/inputs`]);
    assert.equal(r.code, 1, r.stderr);
    const out = json(r.stdout);
    const at = (location: string) => out.findings.filter((f) => f.location === location).map((f) => f.rule);
    assert.ok(at("env0-deployer").includes("OIDC-106"));
    assert.ok(at("aws_iam_role.deploy").includes("OIDC-008"));
    assert.ok(at("data.aws_iam_policy_document.trust").includes("OIDC-001"));
    assert.deepEqual(at("data.aws_iam_policy_document.s3"), []);
    assert.deepEqual(at("DeployRole"), []);
    assert.ok(at("LooseRole").includes("OIDC-001"));
  });

  it("--format sarif is valid SARIF 2.1.0", async () => {
    const r = await runKeyless(["lint", "--format", "sarif", `${FIX}lint/catalogue`]);
    assert.equal(r.code, 1);
    const schema = JSON.parse(readFileSync(`${FIX}sarif/sarif-2.1.0-rtm.5.json`, "utf8"));
    // ajv-draft-04 is CommonJS; the rtm.5 schema is draft-04 and has a pattern that is invalid under the
    // `u` flag, so unicode regular expressions are off.
    type Validator = ((data: unknown) => boolean) & { errors?: unknown[] };
    const Ajv = createRequire(import.meta.url)("ajv-draft-04") as new (
      o: object,
    ) => { compile(s: object): Validator };
    const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);
    const log = JSON.parse(r.stdout);
    assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 3)));
    assert.ok(log.runs[0].results.length > 20);
    assert.equal(log.runs[0].tool.driver.rules.length, RULES.length);
    // Machine-readable fixes travel as SARIF fixes (validated by the schema above).
    assert.ok(log.runs[0].results.some((x: { fixes?: unknown[] }) => (x.fixes?.length ?? 0) > 0));
    assert.equal(RULES.length, readdirSync(`${FIX}../../docs/rules`).length);
    // Every rule links its page; every result from a file points at a real line and column.
    for (const rule of log.runs[0].tool.driver.rules) {
      assert.match(rule.helpUri, new RegExp(`^file:///.+/docs/rules/${rule.id}\\.md$`));
      assert.ok(existsSync(fileURLToPath(rule.helpUri)), rule.helpUri);
    }
    for (const result of log.runs[0].results) {
      const region = result.locations[0].physicalLocation.region;
      assert.ok(region.startLine >= 1 && region.startColumn >= 1, JSON.stringify(result));
    }
    const hosted = await runKeyless(["lint", "--format", "sarif", `${FIX}lint/catalogue/OIDC-301.bad.json`], {
      env: { ...process.env, KEYLESS_RULE_DOCS_URL: "https://example.org/keyless/docs/rules" },
    });
    const rule = JSON.parse(hosted.stdout).runs[0].tool.driver.rules.find(
      (r: { id: string }) => r.id === "OIDC-301",
    );
    assert.equal(rule.helpUri, "https://example.org/keyless/docs/rules/OIDC-301.md");
  });

  it("suppressions need a reason and move findings out of the failure", async () => {
    const t = tempDir();
    try {
      const policy = `${FIX}lint/seeds/spacelift-relaxed.json`;
      writeFileSync(
        join(t.path, ".keyless-lint.json"),
        JSON.stringify({
          suppressions: [{ rule: "OIDC-001", statement: 0, reason: "sandbox account, no data" }],
        }),
      );
      const r = await runKeyless(["lint", "--format", "json", policy], { cwd: t.path });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(json(r.stdout).findings.length, 0);
      assert.equal(json(r.stdout).suppressed[0]?.reason, "sandbox account, no data");
      writeFileSync(
        join(t.path, ".keyless-lint.json"),
        JSON.stringify({ suppressions: [{ rule: "OIDC-001" }] }),
      );
      const bad = await runKeyless(["lint", policy], { cwd: t.path });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /reason/);
    } finally {
      t.cleanup();
    }
  });

  it("text output groups by file and statement", async () => {
    const r = await runKeyless(["lint", `${FIX}lint/catalogue/OIDC-011.bad.json`]);
    assert.match(r.stdout, /OIDC-011\.bad\.json\n {2}policy · Statement\[0\]\n/);
    assert.match(r.stdout, / {2}policy · Statement\[1\]\n {4}critical OIDC-001 {2}\(line 17\) /);
    // The page of every rule that fired, as a URI that exists.
    const pages = r.stdout.slice(r.stdout.indexOf("Rule pages:"));
    const uri = /\n {2}OIDC-001 {2}(file:\S+OIDC-001\.md)\n/.exec(pages)?.[1];
    assert.ok(uri && existsSync(fileURLToPath(uri)), pages);
  });
});
