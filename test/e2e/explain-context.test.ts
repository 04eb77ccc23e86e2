import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runKeyless } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

// `keyless explain --caller … --context KEY=VALUE`: every pair reaches the request context as given,
// including keys that are special to a plain JavaScript object (a `__proto__` member would set the
// prototype instead and vanish).

describe("explain --context keeps every key", () => {
  const dir = tempDir("keyless-explain-context-");
  after(() => dir.cleanup());

  test("__proto__ and constructor are keys like any other", async () => {
    const policy = join(dir.path, "trust.json");
    writeFileSync(
      policy,
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "sts:AssumeRole" },
        ],
      }),
    );
    const r = await runKeyless([
      "explain",
      "--policy",
      policy,
      "--caller",
      "arn:aws:iam::111111111111:root",
      "--context",
      "__proto__=x",
      "--context",
      "constructor=y",
      "--context",
      "aws:SourceVpc=vpc-1",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { decision: string; context: Record<string, string[]> };
    assert.equal(report.decision, "allow");
    assert.ok(Object.hasOwn(report.context, "__proto__"), JSON.stringify(report.context));
    assert.deepEqual(Object.getOwnPropertyDescriptor(report.context, "__proto__")?.value, ["x"]);
    assert.deepEqual(report.context.constructor, ["y"]);
    assert.deepEqual(report.context["aws:sourcevpc"], ["vpc-1"]);
  });
});
