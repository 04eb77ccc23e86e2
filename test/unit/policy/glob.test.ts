import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compileGlob, globMatch, globTokens } from "../../../src/core/policy/glob.js";

describe("wildcards", () => {
  test("the compiled fast paths agree with the general matcher on every pattern shape (fast-check)", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", ":", "/", "*", "?", "é", "😀"), maxLength: 8 });
    fc.assert(
      fc.property(text, text, (pattern, value) => {
        const tokens = globTokens(pattern);
        assert.equal(
          compileGlob(tokens)(value),
          globMatch(tokens, value),
          `pattern ${JSON.stringify(pattern)} value ${JSON.stringify(value)}`,
        );
      }),
      { numRuns: 20_000 },
    );
  });

  test("? is one code point, so an emoji counts once (IAM compares Unicode text)", () => {
    assert.equal(globMatch(globTokens("a?b"), "a😀b"), true);
    assert.equal(globMatch(globTokens("a??b"), "a😀b"), false);
  });

  test("matching stays fast on adversarial patterns (linear backtracking, no regular-expression blow-up)", () => {
    const tokens = globTokens(`${"*a".repeat(50)}b`);
    assert.equal(globMatch(tokens, "a".repeat(5000)), false);
  });
});
