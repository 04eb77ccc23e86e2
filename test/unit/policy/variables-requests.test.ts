import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type ContextInput,
  decide,
  evaluate,
  parsePolicy,
  requestContext,
} from "../../../src/core/policy/index.js";
import { federated } from "./helpers.js";

// One parsed policy answering many requests, as the emulator's STS does: a value with policy variables
// is prepared once per resolution of its variables, and every request must still get the answer it
// would get alone (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
function oneCondition(condition: Record<string, Record<string, unknown>>) {
  const policy = parsePolicy(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole", Condition: condition }],
    }),
    { kind: "any" },
  );
  return (context: ContextInput): boolean => {
    const request = { principal: federated(), action: "sts:AssumeRole", context: requestContext(context) };
    const fast = decide(policy, request) === "allow";
    assert.equal(evaluate(policy, request).decision === "allow", fast, "decide and evaluate agree");
    return fast;
  };
}

describe("a policy variable across requests", () => {
  test("each request sees its own value", () => {
    const holds = oneCondition({ StringEquals: { "idp:sub": "repo:${idp:org}/app" } });
    assert.equal(holds({ "idp:org": "acme", "idp:sub": "repo:acme/app" }), true);
    assert.equal(holds({ "idp:org": "evil", "idp:sub": "repo:acme/app" }), false);
    assert.equal(holds({ "idp:org": "acme", "idp:sub": "repo:acme/app" }), true);
    assert.equal(holds({ "idp:sub": "repo:acme/app" }), false);
  });

  test("an absent key after a request whose value looked like no value at all", () => {
    // Found by mutation testing: the prepared values were keyed by the raw text with "\u0001" standing
    // for "absent", so a claim holding "\u0001" made a later request without the claim match it.
    const holds = oneCondition({ StringEquals: { "idp:sub": "${idp:name}" } });
    assert.equal(holds({ "idp:name": "\u0001", "idp:sub": "\u0001" }), true);
    assert.equal(holds({ "idp:sub": "\u0001" }), false);
    assert.equal(holds({ "idp:name": "", "idp:sub": "" }), true);
    assert.equal(holds({ "idp:sub": "" }), false);
  });

  test("two variables: where one value ends and the next begins matters", () => {
    const holds = oneCondition({ StringEquals: { "idp:sub": "${idp:a}-${idp:b, 'q'}" } });
    assert.equal(holds({ "idp:a": "", "idp:sub": "-q" }), true);
    assert.equal(holds({ "idp:a": "q", "idp:b": "", "idp:sub": "-q" }), false);
    assert.equal(holds({ "idp:a": "q", "idp:b": "", "idp:sub": "q-" }), true);
    assert.equal(holds({ "idp:a": "x\u0000", "idp:sub": "x\u0000-q" }), true);
    assert.equal(holds({ "idp:a": "x", "idp:b": "\u0000q", "idp:sub": "x\u0000-q" }), false);
  });

  test("a multivalued key, with one value or several, never resolves; its default applies", () => {
    const holds = oneCondition({ StringLike: { "idp:sub": "${aws:TagKeys, 'none'}*" } });
    assert.equal(holds({ "aws:TagKeys": ["team"], "idp:sub": "team-x" }), false);
    assert.equal(holds({ "aws:TagKeys": ["team"], "idp:sub": "none-x" }), true);
    assert.equal(holds({ "aws:TagKeys": ["team", "env"], "idp:sub": "none-x" }), true);
    // A single-valued key carrying two values (a malformed request) resolves to its default too.
    const single = oneCondition({ StringEquals: { "idp:sub": "${idp:org, 'd'}" } });
    assert.equal(single({ "idp:org": "a", "idp:sub": "a" }), true);
    assert.equal(single({ "idp:org": ["a", "b"], "idp:sub": "a" }), false);
    assert.equal(single({ "idp:org": ["a", "b"], "idp:sub": "d" }), true);
  });

  test("which of several values is unresolved matters", () => {
    const holds = oneCondition({ StringEquals: { "idp:sub": ["${idp:a}", "p${idp:b}"] } });
    assert.equal(holds({ "idp:b": "x", "idp:sub": "px" }), true);
    assert.equal(holds({ "idp:a": "x", "idp:sub": "px" }), false);
    assert.equal(holds({ "idp:a": "x", "idp:sub": "x" }), true);
  });

  test("a static value next to one with a variable: both count", () => {
    const holds = oneCondition({ StringEquals: { "idp:sub": ["static", "${aws:username}"] } });
    assert.equal(holds({ "aws:username": "bob", "idp:sub": "bob" }), true);
    assert.equal(holds({ "aws:username": "bob", "idp:sub": "static" }), true);
    assert.equal(holds({ "aws:username": "bob", "idp:sub": "eve" }), false);
  });

  test("the prepared values stay right past the cache's bound", () => {
    const holds = oneCondition({ StringEquals: { "idp:sub": "${idp:n}" } });
    for (let i = 0; i < 600; i++)
      assert.equal(holds({ "idp:n": String(i % 300), "idp:sub": String(i % 300) }), true);
    assert.equal(holds({ "idp:n": "1", "idp:sub": "2" }), false);
  });
});
