import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  compileGlob,
  type GlobToken,
  globMatch,
  globMatchText,
  globTokens,
  hasWildcard,
  ONE,
  STAR,
} from "../../../src/core/policy/glob.js";

/**
 * IAM's wildcards with expected answers written out (the property test in glob.test.ts only checks that
 * the fast paths agree with the general matcher): `*` any run of characters, `/` and `:` included, `?`
 * exactly one character (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String).
 */
const CASES: [pattern: string, value: string, matches: boolean][] = [
  // exact
  ["", "", true],
  ["", "a", false],
  ["abc", "abc", true],
  ["abc", "ab", false],
  ["abc", "abcd", false],
  ["abc", "xabc", false],
  // one star
  ["*", "", true],
  ["*", "arn:aws:iam::1:role/x", true],
  ["**", "anything", true],
  ["repo:*", "repo:", true],
  ["repo:*", "repo:a/b:ref:x", true],
  ["repo:*", "repo", false],
  ["repo:*", "xrepo:a", false],
  ["*:main", "repo:a:main", true],
  ["*:main", ":main", true],
  ["*:main", "repo:a:mainx", false],
  ["*:main", "main", false],
  // prefix*suffix: the two must not overlap
  ["ab*ba", "aba", false],
  ["ab*ba", "abba", true],
  ["ab*ba", "abxba", true],
  ["ab*ba", "abxbax", false],
  ["ab*ba", "xabba", false],
  ["a*a", "a", false],
  ["a*a", "aa", true],
  // *infix*
  ["*ref*", "ref", true],
  ["*ref*", "a:ref:b", true],
  ["*ref*", "re:f", false],
  ["*ref*", "", false],
  // one ?
  ["?", "a", true],
  ["?", "", false],
  ["?", "ab", false],
  ["a?c", "abc", true],
  ["a?c", "ac", false],
  ["a?c", "abbc", false],
  ["??", "a😀", true],
  ["?", "😀", true],
  ["??", "😀", false],
  // general shapes: several stars, stars with ?, backtracking
  ["a*b*c", "abc", true],
  ["a*b*c", "a-b-c", true],
  ["a*b*c", "a-c-b", false],
  ["a*b*c", "abcbc", true],
  ["a*b*c", "abcb", false],
  ["*a*b", "xaxb", true],
  ["*a*b", "xbxa", false],
  ["*?", "", false],
  ["*?", "x", true],
  ["?*", "x", true],
  ["*?*", "", false],
  ["x*?y", "xy", false],
  ["x*?y", "xay", true],
  ["x*?y", "xaay", true],
  ["*😀?", "a😀😀", true],
  ["*😀?", "a😀", false],
  ["a*?", "a😀", true],
  ["*ab", "aab", true],
  ["*aab", "aaab", true],
  ["*x*", "", false],
  ["*x*y*", "xy", true],
  ["*x*y*", "yx", false],
  ["a*", "b", false],
  ["*a*a", "aba", true],
  ["*a*a", "ab", false],
  // Text left over after the last token fails the match, whatever it spells.
  ["a", "aundefined", false],
  ["a?", "abundefined", false],
  ["a?c", "abcundefined", false],
];

describe("IAM wildcards with the answers written out", () => {
  test("globMatch, compileGlob and globMatchText give the expected answer on every shape", () => {
    for (const [pattern, value, expected] of CASES) {
      const tokens = globTokens(pattern);
      const where = `${JSON.stringify(pattern)} ~ ${JSON.stringify(value)}`;
      assert.equal(globMatch(tokens, value), expected, `globMatch ${where}`);
      assert.equal(compileGlob(tokens)(value), expected, `compileGlob ${where}`);
      assert.equal(globMatchText(pattern, value), expected, `globMatchText ${where}`);
    }
  });

  test("tokens: literals between wildcards, a run of stars kept as one", () => {
    assert.deepEqual(globTokens(""), []);
    assert.deepEqual(globTokens("abc"), ["abc"]);
    assert.deepEqual(globTokens("a*b?c"), ["a", STAR, "b", ONE, "c"]);
    assert.deepEqual(globTokens("***"), [STAR]);
    assert.deepEqual(globTokens("a**?*"), ["a", STAR, ONE, STAR]);
    assert.deepEqual(globTokens("??"), [ONE, ONE]);
    assert.deepEqual(globTokens("*?*?"), [STAR, ONE, STAR, ONE]);
    // Appends to the list passed in (how policy variables build a pattern piece by piece).
    const into: GlobToken[] = ["x"];
    assert.equal(globTokens("*y", into), into);
    assert.deepEqual(into, ["x", STAR, "y"]);
    // A star after a list that already ends with a star is not repeated.
    assert.deepEqual(globTokens("*", [STAR]), [STAR]);
  });

  test("hasWildcard: whether any token is * or ?", () => {
    assert.equal(hasWildcard([]), false);
    assert.equal(hasWildcard(["a", "b"]), false);
    assert.equal(hasWildcard(["a", STAR]), true);
    assert.equal(hasWildcard([ONE]), true);
  });

  test("literal tokens next to each other (from substituted variables) match as one text", () => {
    const tokens: GlobToken[] = ["repo:", "a*b", STAR];
    assert.equal(globMatch(tokens, "repo:a*b/main"), true);
    assert.equal(globMatch(tokens, "repo:axb/main"), false);
    assert.equal(compileGlob(["a", "b"])("ab"), true);
    assert.equal(compileGlob([STAR, "a", "b"])("xab"), true);
    assert.equal(compileGlob([STAR, "a", "b"])("xa"), false);
    assert.equal(compileGlob(["a", STAR, "b", "c"])("axbc"), true);
    assert.equal(compileGlob(["a", STAR, "b", "c"])("axb"), false);
  });

  test("astral characters at both ends of the high-surrogate range are one character each", () => {
    for (const ch of ["\u{10000}", "\u{10FFFF}", "\u{1F600}"]) {
      assert.equal(globMatch([ONE], ch), true, ch);
      assert.equal(globMatch([ONE, ONE], ch), false, ch);
      assert.equal(globMatch(["a", ONE, "b"], `a${ch}b`), true, ch);
      assert.equal(globMatch([STAR, ONE, "b"], `${ch}b`), true, ch);
    }
  });

  test("characters above the surrogate range (U+E000 to U+FFFF) are one code unit", () => {
    for (const ch of ["\uE000", "\uFFFD", "\uFF71"]) {
      assert.equal(globMatch([ONE, "b"], `${ch}b`), true, ch);
      assert.equal(globMatch([STAR, ONE, "b"], `x${ch}b`), true, ch);
    }
  });

  test("a lone high surrogate at the end counts as one character", () => {
    assert.equal(globMatch([ONE], "\ud83d"), true);
    assert.equal(globMatch(["a", ONE], "a\ud83d"), true);
    assert.equal(globMatch([STAR, ONE], "\ud83d"), true);
  });
});
