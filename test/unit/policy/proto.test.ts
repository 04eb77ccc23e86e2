import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeToken } from "../../../src/aws/sts/token.js";
import { webIdentityRequest } from "../../../src/core/federation/index.js";
import { IAM_MESSAGES, PolicyError, parsePolicy } from "../../../src/core/policy/index.js";
import { parseJsonStrict } from "../../../src/core/policy/json.js";
import { buildTagsClaim } from "../../../src/issuer/claims/session-tags.js";

/**
 * Prototype poisoning (issue #9): a policy member named "__proto__" must stay an ordinary member that IAM
 * refuses (MalformedPolicyDocument), never become the parsed object's prototype and hide what it holds.
 */
const statement =
  '{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}';
export const PROTO_POLICY = `{"Version":"2012-10-17","__proto__":{"Statement":[${statement}]}}`;

function refused(text: string, detail: RegExp) {
  assert.throws(
    () => parsePolicy(text, { kind: "trust" }),
    (error: unknown) => {
      assert.ok(error instanceof PolicyError, `expected PolicyError, got ${error}`);
      assert.equal(error.code, "MalformedPolicyDocument");
      assert.equal(error.awsMessage, IAM_MESSAGES.syntax);
      assert.match(error.detail ?? "", detail);
      return true;
    },
  );
}

describe("policy members named __proto__ or constructor", () => {
  test("a Statement hidden under a top-level __proto__ is refused as an unknown top-level field", () => {
    refused(PROTO_POLICY, /unknown top-level field "__proto__"/);
  });

  test("the strict reader keeps __proto__ as an own member and leaves the prototype alone", () => {
    const json = parseJsonStrict(
      '{"__proto__":{"polluted":true},"a":{"__proto__":{"polluted":true}}}',
    ) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(json), Object.prototype);
    assert.deepEqual(Object.keys(json), ["__proto__", "a"]);
    assert.ok(Object.hasOwn(json, "__proto__"));
    assert.equal((json as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  test("a top-level constructor member is refused too", () => {
    refused(
      `{"Version":"2012-10-17","constructor":{"prototype":{"Statement":[]}},"Statement":[${statement}]}`,
      /unknown top-level field "constructor"/,
    );
  });

  test("a Condition block named __proto__ is refused rather than silently dropped", () => {
    const withCondition = (condition: string) =>
      `{"Version":"2012-10-17","Statement":[${statement.slice(0, -1)},"Condition":${condition}}]}`;
    assert.throws(
      () =>
        parsePolicy(
          withCondition('{"__proto__":{"StringEquals":{"token.actions.githubusercontent.com:sub":"x"}}}'),
        ),
      (error: unknown) => error instanceof PolicyError && error.code === "MalformedPolicyDocument",
    );
    // A condition key named __proto__ inside an operator block: either refused or kept as a key that
    // can never match; it must never vanish and leave the statement unconditioned.
    const text = withCondition('{"StringEquals":{"__proto__":"repo:acme/app:ref:refs/heads/main"}}');
    let policy: ReturnType<typeof parsePolicy> | undefined;
    try {
      policy = parsePolicy(text, { kind: "trust" });
    } catch (error) {
      assert.ok(error instanceof PolicyError && error.code === "MalformedPolicyDocument", String(error));
    }
    if (policy) {
      const conditions = policy.statements[0]?.conditions ?? [];
      assert.equal(conditions.length, 1, "the __proto__ condition key is kept");
    }
  });
});

describe("token claims named __proto__", () => {
  test("decodeToken keeps them as plain claims; building the request pollutes nothing", () => {
    const part = (o: string) => Buffer.from(o).toString("base64url");
    const claims =
      '{"iss":"https://login.app.env0.com/","sub":"x","aud":"a","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},' +
      '"https://aws.amazon.com/tags":{"principal_tags":{"__proto__":["v"],"K":["v"]},"__proto__":{"transitive_tag_keys":["K"]}}}';
    const decoded = decodeToken(`${part('{"alg":"RS256","__proto__":{"kid":"k"}}')}.${part(claims)}.sig`);
    assert.equal(decoded.header.kid, undefined, "a kid under __proto__ is not the header's kid");
    assert.equal(Object.getPrototypeOf(decoded.claims), Object.prototype);
    assert.equal((decoded.claims as { polluted?: unknown }).polluted, undefined);
    const result = webIdentityRequest({
      claims: decoded.claims,
      providerUrl: "https://login.app.env0.com/",
      account: "123456789012",
      roleSessionName: "run-1",
      now: Date.parse("2026-11-22T10:00:00Z"),
    });
    if (result.ok) {
      for (const tag of result.request.tags?.tags ?? []) assert.equal(typeof tag.key, "string");
      assert.equal(Object.getPrototypeOf(result.request), Object.prototype);
    }
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
  });
});

describe("the issuer's session-tags claim with tag keys named like Object members", () => {
  test("constructor/toString are not read from the prototype; __proto__ stays an own tag", () => {
    const claims = JSON.parse('{"team":"red","__proto__":"x"}') as Record<string, unknown>;
    const built = buildTagsClaim(
      ["constructor", "__proto__", "toString", "team"],
      ["toString", "team"],
      claims,
    );
    assert.ok(built);
    assert.deepEqual(Object.keys(built.principal_tags), ["__proto__", "team"]);
    assert.deepEqual(built.principal_tags.team, ["red"]);
    assert.equal(Object.getPrototypeOf(built.principal_tags), Object.prototype);
    assert.deepEqual(built.transitive_tag_keys, ["team"]);
  });
});
