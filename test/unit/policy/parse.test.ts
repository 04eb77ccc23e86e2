import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IAM_MESSAGES, PolicyError, parsePolicy } from "../../../src/core/policy/index.js";

const trust = (statement: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statement, ...extra });
const github = { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" };
const ok = { Effect: "Allow", Principal: github, Action: "sts:AssumeRoleWithWebIdentity" };

function refuses(
  text: string,
  message: string | RegExp,
  kind: "trust" | "identity" | "any" = "trust",
  detail?: RegExp,
) {
  assert.throws(
    () => parsePolicy(text, { kind }),
    (error: unknown) => {
      assert.ok(error instanceof PolicyError, `expected PolicyError, got ${error}`);
      assert.equal(error.code, "MalformedPolicyDocument");
      if (typeof message === "string") assert.equal(error.awsMessage, message);
      else assert.match(error.awsMessage, message);
      if (detail) assert.match(error.detail ?? "", detail);
      return true;
    },
  );
}

describe("parsePolicy: the grammar (UG:reference_policies_grammar)", () => {
  test("Statement may be one object or an array; list elements may be single strings", () => {
    const single = parsePolicy(trust(ok), { kind: "trust" });
    const list = parsePolicy(
      trust([ok, { ...ok, Action: ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"] }]),
      { kind: "trust" },
    );
    assert.equal(single.statements.length, 1);
    assert.deepEqual(list.statements[1]?.action?.patterns, [
      "sts:TagSession",
      "sts:AssumeRoleWithWebIdentity",
    ]);
  });

  test("conditions are flattened to operator/key/values, numbers and booleans compared as text", () => {
    const policy = parsePolicy(
      trust({
        ...ok,
        Condition: {
          StringLike: { "a:b": ["x*", "y"] },
          NumericLessThan: { "a:n": 5 },
          Bool: { "aws:SecureTransport": true },
        },
      }),
      { kind: "trust" },
    );
    const conditions = policy.statements[0]!.conditions;
    assert.deepEqual(
      conditions.map((c) => [c.operator.base, c.key, c.values]),
      [
        ["StringLike", "a:b", ["x*", "y"]],
        ["NumericLessThan", "a:n", ["5"]],
        ["Bool", "aws:SecureTransport", ["true"]],
      ],
    );
  });

  test("set operators and IfExists are split off the base operator", () => {
    const policy = parsePolicy(
      trust({ ...ok, Condition: { "ForAnyValue:StringLikeIfExists": { "a:amr": "x" } } }),
      { kind: "trust" },
    );
    const op = policy.statements[0]!.conditions[0]!.operator;
    assert.deepEqual([op.set, op.base, op.ifExists], ["ForAnyValue", "StringLike", true]);
  });

  test("invalid JSON → 'This policy contains invalid Json', with the line and column", () => {
    refuses(
      '{"Version": "2012-10-17",\n  "Statement": [}',
      IAM_MESSAGES.invalidJson,
      "trust",
      /line 2, column 17/,
    );
    refuses("", IAM_MESSAGES.invalidJson);
    refuses('{"Version": "2012-10-17"} trailing', IAM_MESSAGES.invalidJson, "trust", /after the document/);
  });

  test("a missing separator or closing bracket is named, with where it was expected", () => {
    const invalid = (text: string, detail: RegExp) =>
      refuses(text, IAM_MESSAGES.invalidJson, "trust", detail);
    invalid(
      '{"Version": "2012-10-17" "Statement": []}',
      /unexpected "\\"", expected "," or "}" at line 1, column 26/,
    );
    invalid(
      '{"Version": "2012-10-17", "Statement": [1 2]}',
      /unexpected "2", expected "," or "]" at line 1, column 43/,
    );
    invalid('{"Version": "2012-10-17", "Statement": [1,', /unexpected end of input at line 1, column 43/);
    invalid(
      '{"Version": "2012-10-17", "Statement": [1',
      /end of input, expected "," or "]" at line 1, column 42/,
    );
    invalid('{"Version": "2012-10-17",', /end of input, expected a member name at line 1, column 26/);
    invalid('{"Version": "2012-10-17"', /end of input, expected "," or "}" at line 1, column 25/);
  });

  test("a duplicated member is refused, never silently dropped (keyless choice: IAM is silent)", () => {
    refuses(
      '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}}',
      IAM_MESSAGES.syntax,
      "trust",
      /duplicate member "Effect"/,
    );
  });

  test("Version must be 2012-10-17 or 2008-10-17 (UG:reference_policies_elements_version)", () => {
    refuses(trust(ok, { Version: "2012-10-18" }), IAM_MESSAGES.version);
    assert.equal(parsePolicy(trust(ok, { Version: "2008-10-17" }), { kind: "trust" }).version, "2008-10-17");
  });

  test("an empty Statement, a missing Effect / Action / Principal get IAM's messages", () => {
    refuses(trust([]), IAM_MESSAGES.statementEmpty);
    refuses(trust({ Principal: github, Action: "sts:AssumeRole" }), "Missing required field Effect");
    refuses(trust({ Effect: "Allow", Principal: github }), "Missing required field Action");
    refuses(trust({ Effect: "Allow", Action: "sts:AssumeRole" }), "Missing required field Principal");
  });

  test("Sids are alphanumeric and unique in IAM (UG:reference_policies_elements_sid)", () => {
    refuses(
      trust([
        { ...ok, Sid: "A" },
        { ...ok, Sid: "A" },
      ]),
      IAM_MESSAGES.sidNotUnique,
    );
    refuses(trust({ ...ok, Sid: "has space" }), IAM_MESSAGES.sidCharset);
  });

  test("an unknown condition operator is named in the detail", () => {
    refuses(
      trust({ ...ok, Condition: { StringEqualz: { "a:b": "c" } } }),
      IAM_MESSAGES.syntax,
      "trust",
      /unknown condition operator "StringEqualz"/,
    );
    refuses(
      trust({ ...ok, Condition: { NullIfExists: { "a:b": "true" } } }),
      IAM_MESSAGES.syntax,
      "trust",
      /NullIfExists/,
    );
    refuses(trust({ ...ok, Condition: { "ForSomeValues:StringLike": { "a:b": "c" } } }), IAM_MESSAGES.syntax);
  });

  test("a condition block without an operator ('Syntax errors in policy.', cfn-lint#3751)", () => {
    refuses(trust({ ...ok, Condition: { "servicecatalog:accountLevel": "self" } }), IAM_MESSAGES.syntax);
  });

  test("actions need a vendor prefix and one colon", () => {
    refuses(trust({ ...ok, Action: "AssumeRole" }), IAM_MESSAGES.actionVendor);
    refuses(trust({ ...ok, Action: "sts:Assume:Role" }), IAM_MESSAGES.actionColons);
  });

  test("trust policies: no Resource, no NotPrincipal, sts actions only (docs/aws-behaviour.md#messages)", () => {
    refuses(trust({ ...ok, Resource: "*" }), IAM_MESSAGES.trustResource);
    refuses(trust({ ...ok, NotResource: "*" }), IAM_MESSAGES.trustNotResource);
    refuses(
      trust({ Effect: "Allow", NotPrincipal: github, Action: "sts:AssumeRole" }),
      IAM_MESSAGES.trustNotPrincipal,
    );
    refuses(trust({ ...ok, Action: "s3:GetObject" }), IAM_MESSAGES.trustActions);
  });

  test("principals are validated: AWS ARNs/accounts, Federated provider ARNs or domains", () => {
    refuses(
      trust({ ...ok, Principal: { AWS: "arn:aws:iam::12345678910:role/Orchestration_Role" } }),
      'Invalid principal in policy: "AWS":"arn:aws:iam::12345678910:role/Orchestration_Role"',
    );
    refuses(trust({ ...ok, Principal: { Federated: "not a provider" } }), IAM_MESSAGES.federated);
    for (const principal of [
      "*",
      { AWS: "123456789012" },
      { AWS: ["arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/path/R"] },
      { AWS: "arn:aws:sts::123456789012:assumed-role/R/session" },
      { Federated: "cognito-identity.amazonaws.com" },
      { Service: "ec2.amazonaws.com" },
    ]) {
      assert.ok(parsePolicy(trust({ ...ok, Principal: principal }), { kind: "trust" }));
    }
  });

  test("identity policies: no Principal, Resource required", () => {
    const identity = (s: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: s });
    refuses(
      identity({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*", Principal: "*" }),
      IAM_MESSAGES.identityPrincipal,
      "identity",
    );
    refuses(
      identity({ Effect: "Allow", Action: "sts:AssumeRole" }),
      IAM_MESSAGES.identityResource,
      "identity",
    );
    assert.ok(
      parsePolicy(
        identity({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::*:role/x" }),
        { kind: "identity" },
      ),
    );
  });

  test("wrong-typed values are refused, not crashed on", () => {
    refuses(trust({ ...ok, Action: { Ref: "x" } }), IAM_MESSAGES.syntax, "trust", /must hold strings/);
    refuses(trust({ ...ok, Condition: { StringEquals: { "a:b": { nested: 1 } } } }), IAM_MESSAGES.syntax);
    refuses(trust({ ...ok, Effect: "Allowed" }), IAM_MESSAGES.syntax, "trust", /Effect must be/);
    refuses("[1,2]", IAM_MESSAGES.syntax);
  });
});
