import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readText } from "../../../src/analysis/lint/inputs/index.js";
import { IAM_MESSAGES, PolicyError, parsePolicy } from "../../../src/core/policy/index.js";
import { parseJsonStrict } from "../../../src/core/policy/json.js";
import { findTooDeep, MAX_JSON_DEPTH, parseJson } from "../../../src/lib/json.js";

/**
 * Every reader of untrusted JSON or YAML bounds nesting (issue 14, item 1.4: 4,800 levels of brackets,
 * a 9.6 KB policy, overflowed the strict reader's stack and answered 500 InternalFailure).
 */
const nested = (levels: number, open = "[", close = "]") => `${open.repeat(levels)}${close.repeat(levels)}`;
const objects = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;

describe("nesting limit of untrusted documents", () => {
  test("the strict policy reader takes MAX_JSON_DEPTH levels and refuses one more as MalformedPolicyDocument", () => {
    assert.doesNotThrow(() => parseJsonStrict(nested(MAX_JSON_DEPTH)));
    assert.doesNotThrow(() => parseJsonStrict(objects(MAX_JSON_DEPTH)));
    for (const text of [nested(MAX_JSON_DEPTH + 1), objects(MAX_JSON_DEPTH + 1), nested(100_000)]) {
      assert.throws(
        () => parseJsonStrict(text),
        (e: unknown) =>
          e instanceof PolicyError &&
          e.code === "MalformedPolicyDocument" &&
          e.message.startsWith(IAM_MESSAGES.invalidJson) &&
          /nesting deeper than 100 levels at line 1, column (101|501)/.test(e.detail ?? ""),
      );
    }
  });

  test("a trust policy with 4,800 levels in Statement is MalformedPolicyDocument, not a stack overflow", () => {
    const text = `{"Version":"2012-10-17","Statement":${nested(4800)}}`;
    assert.throws(
      () => parsePolicy(text, { kind: "trust" }),
      (e: unknown) => e instanceof PolicyError && e.code === "MalformedPolicyDocument",
    );
  });

  test("parseJson refuses documents nested deeper than the limit, with the path", () => {
    assert.deepEqual(parseJson(nested(MAX_JSON_DEPTH)), JSON.parse(nested(MAX_JSON_DEPTH)));
    assert.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1)), {
      name: "SyntaxError",
      message: new RegExp(`^nesting deeper than 100 levels at \\$${"\\[0\\]".repeat(MAX_JSON_DEPTH)}$`),
    });
    assert.throws(() => parseJson(objects(1_000_000)), { name: "SyntaxError", message: /nesting deeper/ });
  });

  test("findTooDeep counts arrays and objects alike, and scalars not at all", () => {
    assert.equal(findTooDeep({ a: [{ b: 1 }] }, 3), undefined);
    assert.equal(findTooDeep({ a: [{ b: [] }] }, 3), "$.a[0].b");
    assert.equal(findTooDeep("x", 0), undefined);
  });

  test("lint refuses deep JSON and YAML inputs as bad input, and reads them as nothing when not strict", () => {
    const yamlFlow = `Resources:\n  R: ${nested(100_000)}\n`;
    const yamlBlock = `${Array.from({ length: MAX_JSON_DEPTH + 2 }, (_, i) => `${"  ".repeat(i)}a${i}:`).join("\n")} 1\n`;
    const cases: [string, string][] = [
      ["deep.json", `{"Resources":${nested(100_000)}}`],
      ["flow.yaml", yamlFlow],
      ["block.yaml", yamlBlock],
    ];
    for (const [file, text] of cases) {
      assert.throws(() => readText(file, text, { strict: true }), {
        name: "LintInputError",
        message: /nesting deeper than 100 levels/,
      });
      assert.deepEqual(readText(file, text, { strict: false }), []);
    }
    // Brackets in quoted scalars and comments are not nesting; a template just under the limit reads.
    const quoted = `Resources: {}\nA: "${"[".repeat(500)}"\nB: '${"{".repeat(500)}'\n# ${"[".repeat(500)}\nC: ${nested(MAX_JSON_DEPTH - 1)}\n`;
    assert.throws(() => readText("q.yaml", quoted, { strict: true }), { message: /not a trust policy/ });
  });
});
