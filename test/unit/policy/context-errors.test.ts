import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IAM_MESSAGES, PolicyError, requestContext, withKeys } from "../../../src/core/policy/index.js";

describe("requestContext: plain values to IAM's request context", () => {
  test("key names lower-cased (IAM's keys are case-insensitive), values kept as written", () => {
    const context = requestContext({ "aws:PrincipalTag/Team": "Blue", "token.example.com/:SUB": "Repo:A" });
    assert.deepEqual(
      [...context],
      [
        ["aws:principaltag/team", ["Blue"]],
        ["token.example.com/:sub", ["Repo:A"]],
      ],
    );
  });

  test("a string is one value, an array many; numbers and booleans become their text", () => {
    const context = requestContext({
      "aws:TagKeys": ["a", "b"],
      "aws:EpochTime": 1700000000,
      "aws:SecureTransport": false,
      "x:mixed": [1, true, "s"],
      "x:none": [],
    });
    assert.deepEqual(context.get("aws:tagkeys"), ["a", "b"]);
    assert.deepEqual(context.get("aws:epochtime"), ["1700000000"]);
    assert.deepEqual(context.get("aws:securetransport"), ["false"]);
    assert.deepEqual(context.get("x:mixed"), ["1", "true", "s"]);
    assert.deepEqual(context.get("x:none"), []);
  });

  test("undefined leaves the key out (absent, not empty)", () => {
    const context = requestContext({ "aws:SourceIp": undefined, "aws:UserAgent": "" });
    assert.equal(context.has("aws:sourceip"), false);
    assert.deepEqual(context.get("aws:useragent"), [""]);
    assert.equal(context.size, 1);
  });

  test("withKeys: later keys win whatever their case, the original context is left as it was", () => {
    const base = requestContext({ "aws:SourceIp": "10.0.0.1", "aws:UserAgent": "a" });
    const merged = withKeys(base, {
      "AWS:SOURCEIP": "10.0.0.2",
      "aws:RequestedRegion": "eu-west-1",
      "x:y": undefined,
    });
    assert.deepEqual(
      [...merged],
      [
        ["aws:sourceip", ["10.0.0.2"]],
        ["aws:useragent", ["a"]],
        ["aws:requestedregion", ["eu-west-1"]],
      ],
    );
    assert.deepEqual(
      [...base],
      [
        ["aws:sourceip", ["10.0.0.1"]],
        ["aws:useragent", ["a"]],
      ],
    );
  });
});

describe("PolicyError: MalformedPolicyDocument with IAM's text", () => {
  test("code, exit class, and the message with or without a detail", () => {
    const bare = new PolicyError(IAM_MESSAGES.syntax);
    assert.equal(bare.code, "MalformedPolicyDocument");
    assert.equal(bare.exitClass, "input");
    assert.equal(bare.name, "PolicyError");
    assert.equal(bare.message, "Syntax errors in policy.");
    assert.equal(bare.detail, undefined);
    const detailed = new PolicyError(IAM_MESSAGES.syntax, 'statement 0: Effect must be "Allow" or "Deny"');
    assert.equal(detailed.awsMessage, "Syntax errors in policy.");
    assert.equal(
      detailed.message,
      'Syntax errors in policy. (statement 0: Effect must be "Allow" or "Deny")',
    );
    // An empty detail says nothing: no empty parentheses.
    assert.equal(new PolicyError(IAM_MESSAGES.syntax, "").message, "Syntax errors in policy.");
  });

  test("IAM's own texts, as IAM returns them in MalformedPolicyDocument (clients match on them)", () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_policies.html and IAM's responses.
    assert.deepEqual(
      Object.fromEntries(Object.entries(IAM_MESSAGES).filter(([, v]) => typeof v === "string")),
      {
        invalidJson: "This policy contains invalid Json",
        syntax: "Syntax errors in policy.",
        version: "The policy must contain a valid version string",
        statementEmpty: "Could not parse the policy: Statement is empty!",
        sidNotUnique: "The Statement Ids in the policy are not unique",
        sidCharset:
          "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        actionVendor: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        actionColons: "Actions/Condition can contain only one colon.",
        trustResource: "Has prohibited field Resource",
        trustNotResource: "AssumeRole policy must not contain resources.",
        trustNotPrincipal: "AssumeRole policy must not contain NotPrincipal field.",
        trustActions: "AssumeRole policy may only specify STS AssumeRole actions.",
        federated: "Federated principals must be valid domain names or SAML metadata ARNs",
        identityPrincipal: "Policy document should not specify a principal.",
        identityResource: "Policy statement must contain resources.",
      },
    );
    assert.equal(IAM_MESSAGES.missingField("Effect"), "Missing required field Effect");
    assert.equal(
      IAM_MESSAGES.invalidPrincipal("AWS", "arn:aws:iam::1:root"),
      'Invalid principal in policy: "AWS":"arn:aws:iam::1:root"',
    );
  });
});
