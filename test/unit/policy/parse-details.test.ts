import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IAM_MESSAGES, PolicyError, parseOperator, parsePolicy } from "../../../src/core/policy/index.js";

/**
 * The policy grammar (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html):
 * what each refusal says (IAM's text) and where (keyless's detail), and what an accepted policy becomes.
 */
type Kind = "trust" | "identity" | "resource" | "any";
const PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.example.com";
const trustStatement = {
  Effect: "Allow",
  Principal: { Federated: PROVIDER },
  Action: "sts:AssumeRoleWithWebIdentity",
};
const doc = (statement: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statement, ...extra });

function refuses(text: string, awsMessage: string, detail: string | undefined, kind: Kind = "trust") {
  assert.throws(
    () => parsePolicy(text, { kind }),
    (error: unknown) => {
      assert.ok(error instanceof PolicyError, `expected PolicyError, got ${error}`);
      assert.equal(error.awsMessage, awsMessage);
      assert.equal(error.detail, detail);
      return true;
    },
    text,
  );
}

function refuses2(run: () => unknown, detail: string) {
  assert.throws(run, (error: unknown) => error instanceof PolicyError && error.detail === detail);
}

describe("the document", () => {
  test("only Version, Id and Statement at the top; Id a string", () => {
    refuses(doc(trustStatement, { Extra: 1 }), IAM_MESSAGES.syntax, 'unknown top-level field "Extra"');
    refuses(doc(trustStatement, { Id: 5 }), IAM_MESSAGES.syntax, "Id must be a string");
    assert.equal(parsePolicy(doc(trustStatement, { Id: "doc-1" }), { kind: "trust" }).id, "doc-1");
    refuses('"x"', IAM_MESSAGES.syntax, "the policy must be a JSON object");
    refuses("null", IAM_MESSAGES.syntax, "the policy must be a JSON object");
  });

  test("an already parsed JSON value is taken as it is", () => {
    const parsed = parsePolicy(
      { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "s3:*", Resource: "*" }] },
      { kind: "identity" },
    );
    assert.equal(parsed.statements[0]?.effect, "Deny");
    refuses2(() => parsePolicy(["x"]), "the policy must be a JSON object");
  });

  test("Version: 2012-10-17, 2008-10-17 or none", () => {
    assert.equal(parsePolicy(doc(trustStatement, { Version: "2008-10-17" })).version, "2008-10-17");
    assert.equal(parsePolicy(JSON.stringify({ Statement: trustStatement })).version, undefined);
    refuses(
      doc(trustStatement, { Version: 2012 }),
      IAM_MESSAGES.version,
      'Version is 2012; use "2012-10-17"',
    );
  });

  test("Statement: required, one object or a non-empty list", () => {
    refuses(JSON.stringify({ Version: "2012-10-17" }), IAM_MESSAGES.syntax, "the policy has no Statement");
    refuses(doc([]), IAM_MESSAGES.statementEmpty, undefined);
    refuses(doc("x"), IAM_MESSAGES.syntax, "statement 0 is not a JSON object");
    refuses(doc([trustStatement, 1]), IAM_MESSAGES.syntax, "statement 1 is not a JSON object");
    refuses(
      doc({ ...trustStatement, Foo: 1 }),
      IAM_MESSAGES.syntax,
      'statement 0 has an unknown field "Foo"',
    );
    const one = parsePolicy(doc(trustStatement), { kind: "trust" });
    assert.equal(one.statements.length, 1);
    assert.equal(one.statements[0]?.index, 0);
  });

  test("Sid: a string, alphanumeric outside resource policies, unique unless empty", () => {
    refuses(doc({ ...trustStatement, Sid: 1 }), IAM_MESSAGES.syntax, "statement 0: Sid must be a string");
    refuses(doc({ ...trustStatement, Sid: "a-b" }), IAM_MESSAGES.sidCharset, 'Sid "a-b"');
    refuses(doc({ ...trustStatement, Sid: "a b" }, {}), IAM_MESSAGES.sidCharset, 'Sid "a b"', "any");
    const resource = {
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "*",
      Sid: "read all-1",
    };
    assert.equal(parsePolicy(doc(resource), { kind: "resource" }).statements[0]?.sid, "read all-1");
    refuses(
      doc([
        { ...trustStatement, Sid: "A1" },
        { ...trustStatement, Sid: "A1" },
      ]),
      IAM_MESSAGES.sidNotUnique,
      'Sid "A1" appears twice',
    );
    const empty = parsePolicy(
      doc([
        { ...trustStatement, Sid: "" },
        { ...trustStatement, Sid: "" },
      ]),
      { kind: "trust" },
    );
    assert.deepEqual(
      empty.statements.map((s) => s.sid),
      ["", ""],
    );
    // A Sid names the statement in later details.
    refuses(
      doc({ ...trustStatement, Sid: "S1", Effect: "allow" }),
      IAM_MESSAGES.syntax,
      'statement 0 ("S1"): Effect must be "Allow" or "Deny", not "allow"',
    );
  });

  test("Effect: required, Allow or Deny", () => {
    const { Effect: _, ...noEffect } = trustStatement;
    refuses(doc(noEffect), "Missing required field Effect", "statement 0");
    refuses(
      doc({ ...trustStatement, Effect: true }),
      IAM_MESSAGES.syntax,
      'statement 0: Effect must be "Allow" or "Deny", not true',
    );
    assert.equal(parsePolicy(doc({ ...trustStatement, Effect: "Deny" })).statements[0]?.effect, "Deny");
  });
});

describe("Principal and NotPrincipal", () => {
  const any = (principal: Record<string, unknown>) => ({
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: "*",
    ...principal,
  });

  test("which kinds allow which", () => {
    refuses(
      doc(any({ Principal: "*", NotPrincipal: "*" })),
      IAM_MESSAGES.syntax,
      "statement 0 has both Principal and NotPrincipal",
      "any",
    );
    refuses(doc(any({ Principal: "*" })), IAM_MESSAGES.identityPrincipal, "statement 0", "identity");
    refuses(doc(any({ NotPrincipal: "*" })), IAM_MESSAGES.identityPrincipal, "statement 0", "identity");
    refuses(
      doc({ ...trustStatement, Principal: undefined, NotPrincipal: "*" }),
      IAM_MESSAGES.trustNotPrincipal,
      "statement 0",
    );
    refuses(
      doc({ ...trustStatement, Principal: undefined }),
      "Missing required field Principal",
      "statement 0",
    );
    assert.equal(parsePolicy(doc(any({})), { kind: "identity" }).statements[0]?.principal, undefined);
    assert.equal(parsePolicy(doc(any({})), { kind: "any" }).statements[0]?.principal, undefined);
    assert.deepEqual(
      parsePolicy(doc(any({ NotPrincipal: "*" })), { kind: "resource" }).statements[0]?.principal,
      {
        negated: true,
        block: { kind: "any" },
      },
    );
    assert.deepEqual(
      parsePolicy(doc(any({ Principal: { AWS: ["123456789012"] } })), { kind: "resource" }).statements[0]
        ?.principal,
      {
        negated: false,
        block: { kind: "map", entries: new Map([["AWS", ["123456789012"]]]) },
      },
    );
  });

  test("the block: * or an object of known types with non-empty lists", () => {
    refuses(
      doc({ ...trustStatement, Principal: ["*"] }),
      IAM_MESSAGES.syntax,
      'statement 0: Principal must be "*" or an object',
    );
    refuses(
      doc({ ...trustStatement, Principal: "arn:aws:iam::123456789012:root" }),
      IAM_MESSAGES.syntax,
      'statement 0: Principal must be "*" or an object',
    );
    refuses(
      doc({ ...trustStatement, Principal: {} }),
      IAM_MESSAGES.syntax,
      "statement 0: Principal is empty",
    );
    refuses(
      doc({ ...trustStatement, Principal: { Group: "x" } }),
      IAM_MESSAGES.syntax,
      'statement 0: unknown principal type "Group"',
    );
    refuses(
      doc({ ...trustStatement, Principal: { AWS: [] } }),
      IAM_MESSAGES.syntax,
      "statement 0: Principal.AWS is an empty list",
    );
    refuses(
      doc({ ...trustStatement, Principal: { AWS: [1] } }),
      IAM_MESSAGES.syntax,
      "statement 0: Principal.AWS must hold strings, found 1",
    );
  });

  test("AWS: *, an account, a principal ARN or a unique ID", () => {
    for (const id of [
      "*",
      "123456789012",
      "arn:aws:iam::123456789012:root",
      "arn:aws:iam::123456789012:role/x",
      "arn:aws:sts::123456789012:assumed-role/x/s",
      "AROA1234567890ABCDEFG",
      "AIDA1234567890ABC",
      "AGPA1234567890ABC",
    ]) {
      assert.doesNotThrow(
        () => parsePolicy(doc({ ...trustStatement, Principal: { AWS: id } }), { kind: "trust" }),
        id,
      );
    }
    for (const id of [
      "12345678901",
      "AROA123456789012",
      "aroa1234567890abcdefg",
      "XROA1234567890ABCDEFG",
      "xAROA1234567890ABCDEFG",
      "AROA1234567890ABCDEF!",
      "arn:aws:iam::123456789012:oidc-provider/x",
      "",
    ]) {
      refuses(
        doc({ ...trustStatement, Principal: { AWS: id } }),
        `Invalid principal in policy: "AWS":"${id}"`,
        "statement 0",
      );
    }
  });

  test("Federated: a provider ARN (OIDC or SAML) or a domain name", () => {
    for (const id of [
      PROVIDER,
      "arn:aws:iam::123456789012:saml-provider/corp",
      "accounts.google.com",
      "cognito-identity.amazonaws.com",
      "Graph.Facebook.com",
      "idp.example.com/tenant/1",
    ]) {
      assert.doesNotThrow(
        () => parsePolicy(doc({ ...trustStatement, Principal: { Federated: id } }), { kind: "trust" }),
        id,
      );
    }
    for (const id of [
      "localhost",
      "example.c",
      "example.123",
      "-",
      ".com",
      "https://accounts.google.com",
      "example.com!",
      "!example.com",
      "a b.com",
    ]) {
      refuses(
        doc({ ...trustStatement, Principal: { Federated: id } }),
        IAM_MESSAGES.federated,
        `statement 0: "${id}"`,
      );
    }
  });

  test("Service and CanonicalUser: any non-empty text", () => {
    const ok = parsePolicy(
      doc({
        ...trustStatement,
        Action: "sts:AssumeRole",
        Principal: { Service: "ec2.amazonaws.com", CanonicalUser: "79a5" },
      }),
      { kind: "trust" },
    );
    assert.deepEqual(ok.statements[0]?.principal?.block, {
      kind: "map",
      entries: new Map([
        ["Service", ["ec2.amazonaws.com"]],
        ["CanonicalUser", ["79a5"]],
      ]),
    });
    refuses(
      doc({ ...trustStatement, Principal: { Service: "" } }),
      'Invalid principal in policy: "Service":""',
      "statement 0",
    );
  });
});

describe("Action and NotAction", () => {
  test("one of them, a vendor, one colon, letters, digits, - and wildcards", () => {
    const { Action: _, ...noAction } = trustStatement;
    refuses(
      doc({ ...noAction, NotAction: "s3:*", Action: "sts:AssumeRole" }),
      IAM_MESSAGES.syntax,
      "statement 0 has both Action and NotAction",
    );
    refuses(doc(noAction), "Missing required field Action", "statement 0");
    refuses(
      doc({ ...trustStatement, Action: "sts" }),
      IAM_MESSAGES.actionVendor,
      'statement 0: action "sts"',
    );
    refuses(
      doc({ ...trustStatement, Action: "a:b:c" }),
      IAM_MESSAGES.actionColons,
      'statement 0: action "a:b:c"',
    );
    refuses(
      doc({ ...trustStatement, Action: "sts:Assume_Role" }),
      IAM_MESSAGES.syntax,
      'statement 0: action "sts:Assume_Role" has invalid characters',
    );
    refuses(
      doc({ ...trustStatement, Action: "st s:AssumeRole" }),
      IAM_MESSAGES.syntax,
      'statement 0: action "st s:AssumeRole" has invalid characters',
    );
    refuses(
      doc({ ...trustStatement, Action: [] }),
      IAM_MESSAGES.syntax,
      "statement 0: Action is an empty list",
    );
    refuses(
      doc({ ...noAction, NotAction: [] }),
      IAM_MESSAGES.syntax,
      "statement 0: NotAction is an empty list",
    );
    const parsed = parsePolicy(
      doc({ ...trustStatement, Action: ["*", "STS:Assume*", "sts:TagSession", "sts:?et*"] }),
      { kind: "trust" },
    );
    assert.deepEqual(parsed.statements[0]?.action, {
      negated: false,
      patterns: ["*", "STS:Assume*", "sts:TagSession", "sts:?et*"],
    });
    assert.deepEqual(
      parsePolicy(doc({ Effect: "Allow", Action: "aws-portal:View2", Resource: "*" }), { kind: "identity" })
        .statements[0]?.action,
      {
        negated: false,
        patterns: ["aws-portal:View2"],
      },
    );
  });

  test("trust policies: sts actions only under Action; NotAction is not restricted", () => {
    refuses(
      doc({ ...trustStatement, Action: ["sts:AssumeRole", "s3:GetObject"] }),
      IAM_MESSAGES.trustActions,
      'statement 0: action "s3:GetObject"',
    );
    refuses(
      doc({ ...trustStatement, Action: "xsts:AssumeRole" }),
      IAM_MESSAGES.trustActions,
      'statement 0: action "xsts:AssumeRole"',
    );
    const { Action: _, ...noAction } = trustStatement;
    assert.deepEqual(
      parsePolicy(doc({ ...noAction, NotAction: "s3:*" }), { kind: "trust" }).statements[0]?.action,
      {
        negated: true,
        patterns: ["s3:*"],
      },
    );
  });
});

describe("Resource and NotResource", () => {
  const identity = { Effect: "Allow", Action: "s3:GetObject" };
  test("identity policies need one of them, never both; other kinds may have none", () => {
    refuses(
      doc({ ...identity, Resource: "*", NotResource: "*" }),
      IAM_MESSAGES.syntax,
      "statement 0 has both Resource and NotResource",
      "identity",
    );
    refuses(doc(identity), IAM_MESSAGES.identityResource, "statement 0", "identity");
    refuses(
      doc({ ...identity, Resource: [] }),
      IAM_MESSAGES.syntax,
      "statement 0: Resource is an empty list",
      "identity",
    );
    assert.deepEqual(
      parsePolicy(doc({ ...identity, NotResource: ["arn:aws:s3:::b/*"] }), { kind: "identity" }).statements[0]
        ?.resource,
      {
        negated: true,
        patterns: ["arn:aws:s3:::b/*"],
      },
    );
    assert.deepEqual(
      parsePolicy(doc({ ...identity, Resource: "*" }), { kind: "identity" }).statements[0]?.resource,
      {
        negated: false,
        patterns: ["*"],
      },
    );
    assert.equal(parsePolicy(doc(identity), { kind: "any" }).statements[0]?.resource, undefined);
  });
});

describe("Condition", () => {
  const withCondition = (condition: unknown) => doc({ ...trustStatement, Condition: condition });

  test("an object of operators, each an object of keys with a vendor prefix", () => {
    refuses(withCondition("x"), IAM_MESSAGES.syntax, "statement 0: Condition must be an object");
    refuses(withCondition([]), IAM_MESSAGES.syntax, "statement 0: Condition must be an object");
    refuses(
      withCondition({ StringEquals: ["a:b"] }),
      IAM_MESSAGES.syntax,
      "statement 0: StringEquals must map condition keys to values",
    );
    refuses(
      withCondition({ StringEquals: "a:b" }),
      IAM_MESSAGES.syntax,
      "statement 0: StringEquals must map condition keys to values",
    );
    refuses(
      withCondition({ StringEquals: { sub: "x" } }),
      IAM_MESSAGES.actionVendor,
      'statement 0: condition key "sub"',
    );
    refuses(
      withCondition({ Bogus: { "a:b": "x" } }),
      IAM_MESSAGES.syntax,
      'statement 0: unknown condition operator "Bogus"',
    );
  });

  test("values: strings, numbers and booleans (as text), one or a list", () => {
    const parsed = parsePolicy(withCondition({ StringEquals: { "a:b": ["x", 1, true], "c:d": false } }), {
      kind: "trust",
    });
    assert.deepEqual(
      parsed.statements[0]?.conditions.map((c) => [c.operator.text, c.key, c.values]),
      [
        ["StringEquals", "a:b", ["x", "1", "true"]],
        ["StringEquals", "c:d", ["false"]],
      ],
    );
    for (const bad of [null, { x: 1 }, [["x"]], ["x", null]]) {
      refuses(
        withCondition({ StringEquals: { "a:b": bad } }),
        IAM_MESSAGES.syntax,
        "statement 0: StringEquals a:b: condition values must be strings, numbers or booleans",
      );
    }
    assert.deepEqual(parsePolicy(doc(trustStatement)).statements[0]?.conditions, []);
  });

  test("parseOperator: set prefix, base operator, IfExists", () => {
    assert.deepEqual(parseOperator("StringEquals"), {
      text: "StringEquals",
      set: undefined,
      base: "StringEquals",
      ifExists: false,
    });
    assert.deepEqual(parseOperator("ForAllValues:StringLikeIfExists"), {
      text: "ForAllValues:StringLikeIfExists",
      set: "ForAllValues",
      base: "StringLike",
      ifExists: true,
    });
    assert.deepEqual(parseOperator("ForAnyValue:ArnEquals"), {
      text: "ForAnyValue:ArnEquals",
      set: "ForAnyValue",
      base: "ArnEquals",
      ifExists: false,
    });
    assert.deepEqual(parseOperator("Null"), { text: "Null", set: undefined, base: "Null", ifExists: false });
    for (const bad of [
      "NullIfExists",
      "Bogus",
      "ForSomeValue:StringLike",
      "ForAllValues:",
      "StringEquals:",
      "IfExists",
      "String Equals",
      " StringEquals",
      "",
    ]) {
      assert.equal(parseOperator(bad), undefined, bad);
    }
  });
});
