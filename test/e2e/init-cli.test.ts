import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runKeyless } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";
import { FULL, TOOLING, WORKLOADS } from "../unit/analysis/init/helpers.js";

const scopeArgs = (scope: Record<string, string | undefined>) =>
  Object.entries(scope).flatMap(([k, v]) => [`--${k}`, v!]);

describe("keyless init aws (the built CLI)", () => {
  const dir = tempDir("keyless-init-cli-");
  after(() => dir.cleanup());

  test("--out writes one CloudFormation template per account, and `keyless lint DIR --fail-on info` passes", async () => {
    const out = join(dir.path, "cfn");
    const args = [
      "init",
      "aws",
      "--platform",
      "env0",
      "--format",
      "cloudformation",
      "--tooling-account",
      TOOLING,
    ];
    for (const w of WORKLOADS) args.push("--workload-account", w);
    const r = await runKeyless([...args, ...scopeArgs(FULL.env0), "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), [
      `tooling-${TOOLING}.yaml`,
      ...WORKLOADS.map((w) => `workload-${w}.yaml`),
    ]);
    const lint = await runKeyless(["lint", out, "--fail-on", "info", "--format", "json"]);
    assert.equal(lint.code, 0, lint.stdout);
    assert.deepEqual(JSON.parse(lint.stdout).findings, []);
    // Again without --force: refused, nothing overwritten.
    const again = await runKeyless([...args, ...scopeArgs(FULL.env0), "--out", out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists; pass --force/);
  });

  test("--format cli --out writes an executable script", async () => {
    const out = join(dir.path, "cli");
    const r = await runKeyless([
      "init",
      "aws",
      "--platform",
      "tfc",
      "--format",
      "cli",
      "--account",
      TOOLING,
      ...scopeArgs(FULL.tfc),
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(out, "keyless-init-aws.sh")).mode & 0o777, 0o755);
  });

  test("json on stdout, its explanation on stderr; a remaining finding is named", async () => {
    const r = await runKeyless([
      "init",
      "aws",
      "--platform",
      "github",
      "--format",
      "json",
      "--account",
      TOOLING,
      "--organization",
      "acme",
      "--repository",
      "infra",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).roles[0].name, "keyless-github");
    assert.match(r.stderr, /How the pipeline uses it/);
    assert.match(r.stderr, /keyless: note: OIDC-013 remains: without --owner-id and --repository-id/);
  });

  test("bad input: one line, exit 2", async () => {
    for (const [args, message] of [
      [["--platform", "jenkins", "--account", TOOLING], /--platform must be one of/],
      [
        ["--platform", "github", "--account", TOOLING, "--organization", "acme"],
        /GitHub Actions needs --repository/,
      ],
      [["--platform", "github", "--organization", "acme", "--repository", "x"], /--tooling-account/],
      [
        ["--platform", "tfc", "--account", TOOLING, "--organization", "acme", "--workspace", "prod*"],
        /wildcards are not allowed/,
      ],
      [
        [
          "--platform",
          "tfc",
          "--account",
          TOOLING,
          "--format",
          "pulumi",
          "--organization",
          "a",
          "--workspace",
          "w",
        ],
        /--format must be one of/,
      ],
    ] as [string[], RegExp][]) {
      const r = await runKeyless(["init", "aws", ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.equal(r.stdout, "");
    }
  });
});
