import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ONE, STAR } from "../../../src/core/policy/glob.js";
import { requestContext } from "../../../src/core/policy/index.js";
import {
  isMultivaluedKey,
  isStatic,
  parseValue,
  substitute,
  substitutePattern,
} from "../../../src/core/policy/variables.js";

/** Policy variables (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html). */
describe("parseValue: a policy value split into text, escapes and variables", () => {
  test("no ${: one text part", () => {
    assert.deepEqual(parseValue("repo:a/*"), [{ kind: "text", text: "repo:a/*" }]);
    assert.deepEqual(parseValue(""), [{ kind: "text", text: "" }]);
    assert.deepEqual(parseValue("$x{y}"), [{ kind: "text", text: "$x{y}" }]);
  });

  test("variables with their text around them, key lower-cased for lookup", () => {
    assert.deepEqual(parseValue("a${aws:PrincipalTag/Team}b${idp:Sub}"), [
      { kind: "text", text: "a" },
      {
        kind: "variable",
        key: "aws:PrincipalTag/Team",
        lowerKey: "aws:principaltag/team",
        fallback: undefined,
      },
      { kind: "text", text: "b" },
      { kind: "variable", key: "idp:Sub", lowerKey: "idp:sub", fallback: undefined },
    ]);
    assert.deepEqual(parseValue("${ aws:username }"), [
      { kind: "variable", key: "aws:username", lowerKey: "aws:username", fallback: undefined },
    ]);
  });

  test("a default: the key, a comma and one space, the value in single quotes", () => {
    assert.deepEqual(parseValue("${aws:PrincipalTag/team, 'company-wide'}"), [
      {
        kind: "variable",
        key: "aws:PrincipalTag/team",
        lowerKey: "aws:principaltag/team",
        fallback: "company-wide",
      },
    ]);
    assert.deepEqual(parseValue("${aws:username, ''}")[0], {
      kind: "variable",
      key: "aws:username",
      lowerKey: "aws:username",
      fallback: "",
    });
  });

  test("escapes ${*}, ${?}, ${$} are literal parts", () => {
    assert.deepEqual(parseValue("a${*}b${?}${$}"), [
      { kind: "text", text: "a" },
      { kind: "literal", text: "*" },
      { kind: "text", text: "b" },
      { kind: "literal", text: "?" },
      { kind: "literal", text: "$" },
    ]);
    assert.deepEqual(parseValue("${ * }"), [{ kind: "literal", text: "*" }]);
  });

  test("malformed ${…} stays text, as written", () => {
    for (const bad of [
      "${}",
      "${ }",
      "${a b}",
      "${aws:username,'x'}",
      "${a,b}",
      "${aws:username , 'x'}",
      // The default's grammar holds for the whole body, not a part of it.
      "${a b, 'x'}",
      "${aws:username, 'x'y}",
    ]) {
      assert.deepEqual(parseValue(`p${bad}q`), [
        { kind: "text", text: "p" },
        { kind: "text", text: bad },
        { kind: "text", text: "q" },
      ]);
    }
    // An unclosed ${ is plain text.
    assert.deepEqual(parseValue("a${b"), [{ kind: "text", text: "a${b" }]);
  });

  test("isStatic: one text part only", () => {
    assert.equal(isStatic(parseValue("abc")), true);
    assert.equal(isStatic(parseValue("${*}")), false);
    assert.equal(isStatic(parseValue("${a:b}")), false);
    assert.equal(isStatic(parseValue("a${}")), false);
    assert.equal(isStatic([]), false);
  });
});

describe("multivalued keys", () => {
  test("the global multivalued keys, STS's transitive tag keys, any provider's amr and oaud", () => {
    for (const key of [
      "aws:tagkeys",
      "aws:calledvia",
      "aws:principalorgpaths",
      "aws:principalservicenameslist",
      "aws:resourceorgpaths",
      "aws:sourceorgpaths",
      "sts:transitivetagkeys",
      "token.actions.githubusercontent.com:amr",
      "accounts.google.com:oaud",
    ]) {
      assert.equal(isMultivaluedKey(key), true, key);
    }
    for (const key of [
      "aws:username",
      "idp:sub",
      "idp:aud",
      "idp:amrx",
      "aws:principaltag/amr",
      "aws:calledviafirst",
    ]) {
      assert.equal(isMultivaluedKey(key), false, key);
    }
  });
});

describe("substitute and substitutePattern", () => {
  const context = requestContext({
    "aws:username": "alice",
    "aws:PrincipalTag/org": "acme",
    "aws:TagKeys": ["one"],
    "idp:amr": ["mfa"],
    "x:two": ["a", "b"],
    "x:star": "a*b?",
    "x:empty": "",
  });

  test("single-valued keys are substituted; case of the key does not matter", () => {
    assert.equal(
      substitute(parseValue("u-${AWS:UserName}-${aws:principaltag/ORG}"), context),
      "u-alice-acme",
    );
    assert.equal(substitute(parseValue("plain"), context), "plain");
    assert.equal(substitute(parseValue("a${*}${?}${$}"), context), "a*?$");
  });

  test("absent, several values, or a multivalued key: the default, else null", () => {
    assert.equal(substitute(parseValue("${aws:missing}"), context), null);
    assert.equal(substitute(parseValue("${aws:missing, 'd'}"), context), "d");
    assert.equal(substitute(parseValue("${x:two}"), context), null);
    assert.equal(substitute(parseValue("${x:two, 'd'}"), context), "d");
    // One value, but the key is multivalued by definition.
    assert.equal(substitute(parseValue("${aws:TagKeys}"), context), null);
    assert.equal(substitute(parseValue("${idp:amr, 'none'}"), context), "none");
    assert.equal(substitute(parseValue("a${x:empty}b"), context), "ab");
    assert.equal(substitute(parseValue("a${aws:username}b${aws:missing}"), context), null);
  });

  test("as a pattern: written wildcards stay wildcards, substituted text and escapes are literal", () => {
    // A value joins the literal before it; text after it starts a new token (globMatch reads them as one).
    assert.deepEqual(substitutePattern(parseValue("repo:${aws:PrincipalTag/org}/*"), context), [
      "repo:acme",
      "/",
      STAR,
    ]);
    assert.deepEqual(substitutePattern(parseValue("${x:star}*"), context), ["a*b?", STAR]);
    assert.deepEqual(substitutePattern(parseValue("?${*}x"), context), [ONE, "*", "x"]);
    // An empty value adds nothing, so the two stars around it become one.
    assert.deepEqual(substitutePattern(parseValue("*${x:empty}*"), context), [STAR]);
    assert.deepEqual(substitutePattern(parseValue("${x:empty}"), context), []);
    assert.deepEqual(substitutePattern(parseValue("${aws:username}${aws:username}"), context), [
      "alicealice",
    ]);
    assert.equal(substitutePattern(parseValue("a*${aws:missing}"), context), null);
    assert.deepEqual(substitutePattern(parseValue("a*${aws:missing, 'd'}"), context), ["a", STAR, "d"]);
  });
});
