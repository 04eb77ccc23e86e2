import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { holds } from "./helpers.js";

// Operator semantics from UG:reference_policies_elements_condition_operators (cited as "operators")
// and UG:reference_policies_multi-value-conditions ("multi-value").

describe("String operators (operators: String condition operators)", () => {
  test("StringEquals is exact and case-sensitive", () => {
    assert.equal(
      holds(
        { StringEquals: { "aws:PrincipalTag/job-category": "iamuser-admin" } },
        { "aws:PrincipalTag/job-category": "iamuser-admin" },
      ),
      true,
    );
    assert.equal(
      holds(
        { StringEquals: { "aws:PrincipalTag/job-category": "iamuser-admin" } },
        { "aws:PrincipalTag/job-category": "IAMUser-Admin" },
      ),
      false,
    );
  });

  test("StringEquals with * is literal: '*' matches only the text '*'", () => {
    assert.equal(
      holds({ StringEquals: { "idp:sub": "repo:org/*" } }, { "idp:sub": "repo:org/app:ref:refs/heads/main" }),
      false,
    );
    assert.equal(holds({ StringEquals: { "idp:sub": "repo:org/*" } }, { "idp:sub": "repo:org/*" }), true);
    assert.equal(holds({ StringEquals: { "idp:sub": "a?c" } }, { "idp:sub": "abc" }), false);
  });

  test("StringNotEquals: the value must equal none of the listed values", () => {
    assert.equal(holds({ StringNotEquals: { "idp:sub": ["a", "b"] } }, { "idp:sub": "c" }), true);
    assert.equal(holds({ StringNotEquals: { "idp:sub": ["a", "b"] } }, { "idp:sub": "b" }), false);
  });

  test("StringNotEquals on a missing key allows (negated operators are true for an absent key)", () => {
    assert.equal(holds({ StringNotEquals: { "aws:PrincipalTag/team": "red" } }, {}), true);
  });

  test("StringEqualsIgnoreCase / StringNotEqualsIgnoreCase ignore case", () => {
    assert.equal(
      holds(
        { StringEqualsIgnoreCase: { "aws:PrincipalTag/name": "Mary" } },
        { "aws:PrincipalTag/name": "MARY" },
      ),
      true,
    );
    assert.equal(
      holds(
        { StringNotEqualsIgnoreCase: { "aws:PrincipalTag/name": "Mary" } },
        { "aws:PrincipalTag/name": "mary" },
      ),
      false,
    );
  });

  test("StringLike: * spans any run (including / and :), ? exactly one character", () => {
    const sub = { "token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main" };
    assert.equal(
      holds({ StringLike: { "token.actions.githubusercontent.com:sub": "repo:octo-org/*" } }, sub),
      true,
    );
    assert.equal(
      holds(
        {
          StringLike: {
            "token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/mai?",
          },
        },
        sub,
      ),
      true,
    );
    assert.equal(
      holds(
        {
          StringLike: {
            "token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/ma?",
          },
        },
        sub,
      ),
      false,
    );
    assert.equal(holds({ StringLike: { "token.actions.githubusercontent.com:sub": "*" } }, sub), true);
  });

  test("StringLike 'repo:octo-org*' admits repo:octo-org-evil/x (the classic prefix trap)", () => {
    assert.equal(
      holds(
        { StringLike: { "idp:sub": "repo:octo-org*" } },
        { "idp:sub": "repo:octo-org-evil/x:ref:refs/heads/main" },
      ),
      true,
    );
    assert.equal(
      holds(
        { StringLike: { "idp:sub": "repo:octo-org/*" } },
        { "idp:sub": "repo:octo-org-evil/x:ref:refs/heads/main" },
      ),
      false,
    );
  });

  test("StringLike is case-sensitive; StringNotLike must match none", () => {
    assert.equal(holds({ StringLike: { "idp:sub": "Repo:*" } }, { "idp:sub": "repo:x" }), false);
    assert.equal(
      holds({ StringNotLike: { "idp:sub": ["repo:a/*", "repo:b/*"] } }, { "idp:sub": "repo:c/x" }),
      true,
    );
    assert.equal(
      holds({ StringNotLike: { "idp:sub": ["repo:a/*", "repo:b/*"] } }, { "idp:sub": "repo:b/x" }),
      false,
    );
  });

  test("condition key names are case-insensitive, values are not", () => {
    assert.equal(
      holds({ StringEquals: { "AWS:PrincipalTag/Team": "red" } }, { "aws:principaltag/team": "red" }),
      true,
    );
    assert.equal(
      holds({ StringEquals: { "aws:PrincipalTag/team": "red" } }, { "aws:PrincipalTag/team": "Red" }),
      false,
    );
  });

  test("multiple values are OR; multiple keys and multiple operators are AND (operators: 'Condition block')", () => {
    const condition = {
      StringEquals: { "idp:aud": "sts.amazonaws.com", "idp:sub": ["repo:a", "repo:b"] },
      StringLike: { "aws:RequestTag/env": "prod*" },
    };
    assert.equal(
      holds(condition, {
        "idp:aud": "sts.amazonaws.com",
        "idp:sub": "repo:b",
        "aws:RequestTag/env": "production",
      }),
      true,
    );
    assert.equal(
      holds(condition, {
        "idp:aud": "sts.amazonaws.com",
        "idp:sub": "repo:c",
        "aws:RequestTag/env": "production",
      }),
      false,
    );
    assert.equal(
      holds(condition, {
        "idp:aud": "sts.amazonaws.com",
        "idp:sub": "repo:a",
        "aws:RequestTag/env": "staging",
      }),
      false,
    );
    assert.equal(holds(condition, { "idp:sub": "repo:a", "aws:RequestTag/env": "prod" }), false);
  });

  test("a positive operator on an absent key is false", () => {
    assert.equal(holds({ StringLike: { "idp:sub": "*" } }, {}), false);
  });
});

describe("Numeric operators (operators: Numeric condition operators)", () => {
  test("each comparison, with the request value on the left", () => {
    const n = (op: string, policy: unknown, value: string) =>
      holds({ [op]: { "s3:max-keys": policy } }, { "s3:max-keys": value });
    assert.equal(n("NumericLessThanEquals", "10", "10"), true);
    assert.equal(n("NumericLessThanEquals", "10", "11"), false);
    assert.equal(n("NumericLessThan", 10, "9.5"), true);
    assert.equal(n("NumericGreaterThan", "10", "10"), false);
    assert.equal(n("NumericGreaterThanEquals", "10", "10"), true);
    assert.equal(n("NumericEquals", "10", "10.0"), true);
    assert.equal(n("NumericNotEquals", ["1", "2"], "3"), true);
    assert.equal(n("NumericNotEquals", ["1", "2"], "2"), false);
  });

  test("a value that is not a number never matches a positive operator", () => {
    assert.equal(holds({ NumericEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "ten" }), false);
    assert.equal(holds({ NumericEquals: { "s3:max-keys": "ten" } }, { "s3:max-keys": "10" }), false);
  });
});

describe("Date operators (operators: Date condition operators)", () => {
  test("ISO 8601 and epoch seconds compare as instants", () => {
    const now = { "aws:CurrentTime": "2026-06-01T12:00:00Z" };
    assert.equal(holds({ DateLessThan: { "aws:CurrentTime": "2026-07-01T00:00:00Z" } }, now), true);
    assert.equal(holds({ DateGreaterThan: { "aws:CurrentTime": "2026-07-01T00:00:00Z" } }, now), false);
    assert.equal(
      holds({ DateEquals: { "aws:CurrentTime": String(Date.parse("2026-06-01T12:00:00Z") / 1000) } }, now),
      true,
    );
    assert.equal(holds({ DateNotEquals: { "aws:CurrentTime": "2026-06-01T12:00:00Z" } }, now), false);
    assert.equal(
      holds(
        { DateLessThanEquals: { "aws:EpochTime": "2026-06-01T12:00:00Z" } },
        { "aws:EpochTime": "1780315200" },
      ),
      true,
    );
    assert.equal(
      holds(
        { DateGreaterThanEquals: { "aws:TokenIssueTime": "2020-01-01" } },
        { "aws:TokenIssueTime": "2019-12-31T23:59:59Z" },
      ),
      false,
    );
  });
});

describe("Bool, BinaryEquals, IpAddress (operators)", () => {
  test("Bool compares true/false", () => {
    assert.equal(
      holds({ Bool: { "aws:SecureTransport": "false" } }, { "aws:SecureTransport": "false" }),
      true,
    );
    assert.equal(holds({ Bool: { "aws:SecureTransport": true } }, { "aws:SecureTransport": "false" }), false);
    assert.equal(holds({ Bool: { "aws:MultiFactorAuthPresent": "true" } }, {}), false);
  });

  test("BinaryEquals compares base64-decoded bytes", () => {
    assert.equal(
      holds(
        { BinaryEquals: { "key:bin": "QmluYXJ5VmFsdWVJbkJhc2U2NA==" } },
        { "key:bin": "QmluYXJ5VmFsdWVJbkJhc2U2NA==" },
      ),
      true,
    );
    assert.equal(
      holds({ BinaryEquals: { "key:bin": "QmluYXJ5VmFsdWVJbkJhc2U2NA==" } }, { "key:bin": "b3RoZXI=" }),
      false,
    );
  });

  test("IpAddress / NotIpAddress match CIDR ranges, IPv4 and IPv6 (operators: IP address)", () => {
    const ip = (op: string, policy: unknown, value: string) =>
      holds({ [op]: { "aws:SourceIp": policy } }, { "aws:SourceIp": value });
    assert.equal(ip("IpAddress", "203.0.113.0/24", "203.0.113.7"), true);
    assert.equal(ip("IpAddress", "203.0.113.0/24", "203.0.114.7"), false);
    assert.equal(ip("IpAddress", "203.0.113.5", "203.0.113.5"), true);
    assert.equal(ip("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1"), true);
    assert.equal(ip("NotIpAddress", ["203.0.113.0/24", "10.0.0.0/8"], "10.1.2.3"), false);
    assert.equal(ip("NotIpAddress", ["203.0.113.0/24", "10.0.0.0/8"], "192.0.2.1"), true);
    assert.equal(ip("IpAddress", "203.0.113.0/24", "not-an-ip"), false);
  });
});

describe("ARN operators (operators: Amazon Resource Name)", () => {
  const arn = (op: string, policy: unknown, value: string) =>
    holds({ [op]: { "aws:SourceArn": policy } }, { "aws:SourceArn": value });

  test("ArnLike matches each of the six components separately; * cannot cross a colon", () => {
    assert.equal(
      arn(
        "ArnLike",
        "arn:aws:sns:REGION:123456789012:TOPIC-ID".replace("REGION", "*").replace("TOPIC-ID", "*"),
        "arn:aws:sns:us-east-1:123456789012:topic",
      ),
      true,
    );
    assert.equal(arn("ArnLike", "arn:aws:iam::*:role/deploy", "arn:aws:iam::210987654321:role/deploy"), true);
    // "*" in the account component does not swallow the next colon: the role part must still match.
    assert.equal(arn("ArnLike", "arn:aws:iam::*:role/deploy", "arn:aws:iam::210987654321:role/other"), false);
    assert.equal(arn("ArnLike", "arn:aws:iam::1234*", "arn:aws:iam::123456789012:role/deploy"), false);
    // A * in the resource component spans slashes and colons.
    assert.equal(
      arn("ArnLike", "arn:aws:iam::123456789012:role/*", "arn:aws:iam::123456789012:role/path/to/r"),
      true,
    );
  });

  test("ArnEquals behaves like ArnLike; ArnNotLike / ArnNotEquals negate", () => {
    assert.equal(arn("ArnEquals", "arn:aws:iam::*:role/r", "arn:aws:iam::123456789012:role/r"), true);
    assert.equal(arn("ArnNotLike", "arn:aws:iam::*:role/r", "arn:aws:iam::123456789012:role/r"), false);
    assert.equal(arn("ArnNotEquals", "arn:aws:iam::*:role/r", "arn:aws:iam::123456789012:role/q"), true);
    assert.equal(arn("ArnLike", "arn:aws:iam::*:role/r", "not-an-arn"), false);
  });

  test("ArnLike is case-sensitive", () => {
    assert.equal(
      arn("ArnLike", "arn:aws:iam::*:role/Deploy", "arn:aws:iam::123456789012:role/deploy"),
      false,
    );
  });
});

describe("Null and ...IfExists (operators: Condition operator to check existence of condition keys)", () => {
  test("Null 'true' holds when the key is absent, 'false' when it is present", () => {
    assert.equal(holds({ Null: { "aws:TokenIssueTime": "true" } }, {}), true);
    assert.equal(
      holds({ Null: { "aws:TokenIssueTime": "true" } }, { "aws:TokenIssueTime": "2026-01-01T00:00:00Z" }),
      false,
    );
    assert.equal(
      holds({ Null: { "aws:TokenIssueTime": false } }, { "aws:TokenIssueTime": "2026-01-01T00:00:00Z" }),
      true,
    );
    assert.equal(holds({ Null: { "aws:TokenIssueTime": "false" } }, {}), false);
  });

  test("...IfExists: an absent key passes, a present key is tested", () => {
    const condition = { StringEqualsIfExists: { "ec2:InstanceType": ["t1.*", "t2.*"] } };
    assert.equal(holds(condition, {}), true);
    assert.equal(holds(condition, { "ec2:InstanceType": "t2.micro" }), false); // StringEquals: * is literal
    assert.equal(
      holds(
        { StringLikeIfExists: { "ec2:InstanceType": ["t1.*", "t2.*"] } },
        { "ec2:InstanceType": "t2.micro" },
      ),
      true,
    );
    assert.equal(holds({ StringNotEqualsIfExists: { "idp:sub": "x" } }, { "idp:sub": "x" }), false);
  });
});

describe("Set operators on multivalued keys (multi-value)", () => {
  const tagKeys = (values: string[] | undefined) => ({ "aws:TagKeys": values });

  test("ForAllValues: every request value must be in the policy set", () => {
    const condition = { "ForAllValues:StringEquals": { "aws:TagKeys": ["environment", "cost-center"] } };
    assert.equal(holds(condition, tagKeys(["environment"])), true);
    assert.equal(holds(condition, tagKeys(["environment", "cost-center"])), true);
    assert.equal(holds(condition, tagKeys(["environment", "owner"])), false);
  });

  test("ForAllValues on a missing key allows (and on an empty set): why AWS warns against it with Allow", () => {
    const condition = { "ForAllValues:StringEquals": { "aws:TagKeys": ["environment"] } };
    assert.equal(holds(condition, tagKeys(undefined)), true);
    assert.equal(holds(condition, tagKeys([])), true);
  });

  test("ForAnyValue: at least one request value matches; false on a missing key", () => {
    const condition = {
      "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "unauthenticated" },
    };
    assert.equal(
      holds(condition, { "cognito-identity.amazonaws.com:amr": ["authenticated", "graph.facebook.com"] }),
      false,
    );
    assert.equal(holds(condition, { "cognito-identity.amazonaws.com:amr": ["unauthenticated"] }), true);
    assert.equal(holds(condition, {}), false);
  });

  test("ForAllValues with a negated operator: no request value may be in the set", () => {
    const condition = { "ForAllValues:StringNotEquals": { "aws:TagKeys": ["admin", "root"] } };
    assert.equal(holds(condition, tagKeys(["team", "env"])), true);
    assert.equal(holds(condition, tagKeys(["team", "admin"])), false);
  });

  test("ForAnyValue with IfExists passes on an absent key", () => {
    assert.equal(holds({ "ForAnyValue:StringEqualsIfExists": { "aws:TagKeys": "x" } }, {}), true);
  });

  test("without a set operator a multivalued key matches when any value matches", () => {
    assert.equal(holds({ StringEquals: { "idp:amr": "mfa" } }, { "idp:amr": ["pwd", "mfa"] }), true);
  });
});

describe("Policy variables (UG:reference_policies_variables)", () => {
  test("${aws:...} and claim keys are substituted in String and ARN operators", () => {
    assert.equal(
      holds(
        { StringEquals: { "aws:RequestTag/owner": "${aws:username}" } },
        { "aws:RequestTag/owner": "alice", "aws:username": "alice" },
      ),
      true,
    );
    assert.equal(
      holds(
        { StringLike: { "idp:sub": "repo:${aws:PrincipalTag/org}/*" } },
        { "idp:sub": "repo:acme/app", "aws:PrincipalTag/org": "acme" },
      ),
      true,
    );
    assert.equal(
      holds(
        { ArnLike: { "aws:SourceArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*" } },
        { "aws:SourceArn": "arn:aws:iam::123456789012:role/x", "aws:PrincipalAccount": "123456789012" },
      ),
      true,
    );
  });

  test("escapes ${*}, ${?}, ${$} are literal characters even in StringLike", () => {
    assert.equal(holds({ StringLike: { "idp:sub": "a${*}" } }, { "idp:sub": "a*" }), true);
    assert.equal(holds({ StringLike: { "idp:sub": "a${*}" } }, { "idp:sub": "abc" }), false);
    assert.equal(holds({ StringLike: { "idp:sub": "a${?}" } }, { "idp:sub": "ab" }), false);
    assert.equal(holds({ StringEquals: { "idp:sub": "${$}{x}" } }, { "idp:sub": "${x}" }), true);
  });

  test("default values apply when the key is absent", () => {
    const condition = { StringEquals: { "aws:RequestTag/team": "${aws:PrincipalTag/team, 'company-wide'}" } };
    assert.equal(holds(condition, { "aws:RequestTag/team": "company-wide" }), true);
    assert.equal(holds(condition, { "aws:RequestTag/team": "red", "aws:PrincipalTag/team": "red" }), true);
  });

  test("an unresolvable variable matches nothing, and inverted operators match against it", () => {
    assert.equal(holds({ StringEquals: { "idp:sub": "${aws:username}" } }, { "idp:sub": "" }), false);
    assert.equal(holds({ StringNotEquals: { "idp:sub": "${aws:username}" } }, { "idp:sub": "x" }), true);
    assert.equal(holds({ StringLike: { "idp:sub": "*${aws:username}" } }, { "idp:sub": "x" }), false);
  });

  test("a multivalued key cannot be a variable", () => {
    assert.equal(
      holds({ StringEquals: { "idp:sub": "${aws:TagKeys}" } }, { "idp:sub": "a", "aws:TagKeys": ["a", "b"] }),
      false,
    );
  });

  test("a multivalued key is not a variable even when the request carries one value (the differential case)", () => {
    // aws:TagKeys = ["team"] is still a multivalued key: not substituted, so StringEquals matches nothing.
    assert.equal(
      holds(
        { StringEquals: { "idp:sub": "${aws:TagKeys}" } },
        { "idp:sub": "team", "aws:TagKeys": ["team"] },
      ),
      false,
    );
    assert.equal(
      holds(
        { StringNotEquals: { "idp:sub": "${aws:TagKeys}" } },
        { "idp:sub": "team", "aws:TagKeys": ["team"] },
      ),
      true,
    );
    for (const key of ["idp:amr", "idp:oaud", "sts:TransitiveTagKeys", "aws:PrincipalOrgPaths"]) {
      assert.equal(
        holds({ StringEquals: { "idp:sub": `\${${key}}` } }, { "idp:sub": "x", [key]: ["x"] }),
        false,
        key,
      );
      // The default applies instead, as for an absent key.
      assert.equal(
        holds({ StringEquals: { "idp:sub": `\${${key}, 'd'}` } }, { "idp:sub": "d", [key]: ["x"] }),
        true,
        key,
      );
    }
    // A single-valued key with one value still is one.
    assert.equal(
      holds({ StringEquals: { "idp:sub": "${aws:username}" } }, { "idp:sub": "u", "aws:username": "u" }),
      true,
    );
  });

  test("a default needs AWS's grammar: a comma and a space before the quoted value", () => {
    const without = { StringEquals: { "idp:sub": "${aws:username,'x'}" } };
    assert.equal(holds(without, { "idp:sub": "x" }), false);
    // Not a variable: the text stays literal.
    assert.equal(holds(without, { "idp:sub": "${aws:username,'x'}" }), true);
    assert.equal(holds({ StringEquals: { "idp:sub": "${aws:username , 'x'}" } }, { "idp:sub": "x" }), false);
    assert.equal(holds({ StringEquals: { "idp:sub": "${aws:username,  'x'}" } }, { "idp:sub": "x" }), false);
    assert.equal(holds({ StringEquals: { "idp:sub": "${aws:username, 'x'}" } }, { "idp:sub": "x" }), true);
  });

  test("variables are literal text under Version 2008-10-17 and in non-string operators", () => {
    assert.equal(
      holds(
        { StringEquals: { "idp:sub": "${aws:username}" } },
        { "idp:sub": "${aws:username}", "aws:username": "a" },
        "2008-10-17",
      ),
      true,
    );
    assert.equal(
      holds(
        { StringEquals: { "idp:sub": "${aws:username}" } },
        { "idp:sub": "a", "aws:username": "a" },
        "2008-10-17",
      ),
      false,
    );
    assert.equal(
      holds({ NumericEquals: { "s3:max-keys": "${aws:n}" } }, { "s3:max-keys": "5", "aws:n": "5" }),
      false,
    );
  });

  test("a substituted value's own * is literal (keyless choice: a token cannot widen the policy)", () => {
    assert.equal(
      holds(
        { StringLike: { "idp:sub": "${aws:PrincipalTag/p}" } },
        { "idp:sub": "anything", "aws:PrincipalTag/p": "*" },
      ),
      false,
    );
  });
});
