import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { splitArn } from "../../../src/core/policy/index.js";
import { holds } from "./helpers.js";

// The edges of each operator family:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
const one = (op: string, key: string, policy: unknown, value: string | string[]) =>
  holds({ [op]: { [key]: policy } }, { [key]: value });

describe("Numeric operators: the boundary of each comparison", () => {
  const n = (op: string, policy: string, value: string) => one(op, "s3:max-keys", policy, value);

  test("less than / greater than exclude the value itself; the -Equals forms include it", () => {
    assert.deepEqual(
      ["9", "10", "11"].map((v) => n("NumericLessThan", "10", v)),
      [true, false, false],
    );
    assert.deepEqual(
      ["9", "10", "11"].map((v) => n("NumericLessThanEquals", "10", v)),
      [true, true, false],
    );
    assert.deepEqual(
      ["9", "10", "11"].map((v) => n("NumericGreaterThan", "10", v)),
      [false, false, true],
    );
    assert.deepEqual(
      ["9", "10", "11"].map((v) => n("NumericGreaterThanEquals", "10", v)),
      [false, true, true],
    );
    assert.deepEqual(
      ["9", "10", "11"].map((v) => n("NumericEquals", "10", v)),
      [false, true, false],
    );
    assert.deepEqual(
      ["9", "10", "11"].map((v) => n("NumericNotEquals", "10", v)),
      [true, false, true],
    );
  });

  test("decimal forms: sign, fraction, exponent", () => {
    assert.equal(n("NumericEquals", "-5", "-5.0"), true);
    assert.equal(n("NumericEquals", "+5", "5"), true);
    assert.equal(n("NumericEquals", "0.5", ".5"), true);
    assert.equal(n("NumericEquals", "5", "5."), true);
    assert.equal(n("NumericEquals", "1000", "1e3"), true);
    assert.equal(n("NumericEquals", "1000", "1E+3"), true);
    assert.equal(n("NumericEquals", "0.001", "1e-3"), true);
    assert.equal(n("NumericLessThan", "-1", "-2"), true);
    assert.equal(n("NumericEquals", "0.55", ".55"), true);
    assert.equal(n("NumericEquals", "1e10", "10000000000"), true);
  });

  test("text that is not a decimal number never matches, on either side", () => {
    for (const bad of [
      "0x10",
      "16abc",
      "abc16",
      "1e",
      "e3",
      "5..",
      "--5",
      "",
      "Infinity",
      "NaN",
      "1,000",
      ".",
    ]) {
      assert.equal(n("NumericEquals", "16", bad), false, `request ${JSON.stringify(bad)}`);
      assert.equal(n("NumericGreaterThanEquals", "0", bad), false, `request ${JSON.stringify(bad)}`);
      assert.equal(n("NumericEquals", bad, "16"), false, `policy ${JSON.stringify(bad)}`);
    }
    // A negated operator holds against a value that cannot be compared.
    assert.equal(n("NumericNotEquals", "16", "0x10"), true);
  });
});

describe("Date operators: the boundary of each comparison", () => {
  const d = (op: string, policy: string, value: string) => one(op, "aws:CurrentTime", policy, value);
  const at = "2026-06-01T12:00:00Z";
  const before = "2026-06-01T11:59:59Z";
  const after = "2026-06-01T12:00:01Z";

  test("each operator at, before and after the instant", () => {
    const row = (op: string) => [before, at, after].map((v) => d(op, at, v));
    assert.deepEqual(row("DateLessThan"), [true, false, false]);
    assert.deepEqual(row("DateLessThanEquals"), [true, true, false]);
    assert.deepEqual(row("DateGreaterThan"), [false, false, true]);
    assert.deepEqual(row("DateGreaterThanEquals"), [false, true, true]);
    assert.deepEqual(row("DateEquals"), [false, true, false]);
    assert.deepEqual(row("DateNotEquals"), [true, false, true]);
  });

  test("epoch seconds on either side are seconds, not milliseconds", () => {
    const epoch = String(Date.parse(at) / 1000);
    assert.equal(d("DateEquals", epoch, at), true);
    assert.equal(d("DateEquals", at, epoch), true);
    assert.equal(d("DateLessThan", epoch, String(Date.parse(at) / 1000 - 1)), true);
  });

  test("a date without a time is that day's midnight UTC", () => {
    assert.equal(d("DateEquals", "2026-06-01", "2026-06-01T00:00:00Z"), true);
    assert.equal(d("DateLessThan", "2026-06-02", at), true);
  });

  test("a value that is not a date never matches a positive operator", () => {
    assert.equal(d("DateLessThan", at, "yesterday"), false);
    assert.equal(d("DateGreaterThan", "not a date", at), false);
    assert.equal(d("DateNotEquals", at, "yesterday"), true);
  });
});

describe("Bool and BinaryEquals", () => {
  test("Bool takes no policy variables: ${...} is text, spaces and all", () => {
    // Only String and ARN operators substitute variables
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
    const key = "aws:SecureTransport";
    assert.equal(one("Bool", key, "${ aws:x }", "${ aws:x }"), true);
    assert.equal(one("Bool", key, "${ aws:x }", "${aws:x}"), false);
    assert.equal(holds({ Bool: { [key]: "${aws:x}" } }, { [key]: "true", "aws:x": "true" }), false);
  });

  test("Bool ignores case on both sides", () => {
    assert.equal(one("Bool", "aws:SecureTransport", "TRUE", "true"), true);
    assert.equal(one("Bool", "aws:SecureTransport", "true", "True"), true);
    assert.equal(one("Bool", "aws:SecureTransport", "true", "false"), false);
  });

  test("BinaryEquals compares the decoded bytes, not the text", () => {
    // "AQID" and "AQID\n" decode to the same bytes [1, 2, 3]; "AQIE" does not.
    assert.equal(one("BinaryEquals", "key:bin", "AQID", "AQID\n"), true);
    assert.equal(one("BinaryEquals", "key:bin", "AQID", "AQIE"), false);
  });
});

describe("IpAddress / NotIpAddress: CIDR edges (operators: IP address condition operators)", () => {
  const ip = (op: string, policy: unknown, value: string) => one(op, "aws:SourceIp", policy, value);

  test("/0 admits every IPv4 address; /32 (or a bare address) exactly one", () => {
    assert.equal(ip("IpAddress", "0.0.0.0/0", "203.0.113.7"), true);
    assert.equal(ip("IpAddress", "0.0.0.0/0", "255.255.255.255"), true);
    assert.equal(ip("IpAddress", "203.0.113.7/32", "203.0.113.7"), true);
    assert.equal(ip("IpAddress", "203.0.113.7/32", "203.0.113.6"), false);
    assert.equal(ip("IpAddress", "203.0.113.7", "203.0.113.8"), false);
    assert.equal(ip("IpAddress", "203.0.113.200/25", "203.0.113.129"), true);
    assert.equal(ip("IpAddress", "203.0.113.0/24", "203.0.113.255"), true);
    assert.equal(ip("IpAddress", "203.0.113.200/25", "203.0.113.127"), false);
  });

  test("a bare IPv6 address is a /128", () => {
    assert.equal(ip("IpAddress", "2001:db8::1", "2001:db8::1"), true);
    assert.equal(ip("IpAddress", "2001:db8::1", "2001:db8::2"), false);
    assert.equal(ip("IpAddress", "2001:db8::/32", "2001:db8:ffff::1"), true);
  });

  test("the families do not mix", () => {
    assert.equal(ip("IpAddress", "0.0.0.0/0", "2001:db8::1"), false);
    assert.equal(ip("IpAddress", "::/0", "203.0.113.7"), false);
    assert.equal(ip("NotIpAddress", "0.0.0.0/0", "2001:db8::1"), true);
  });

  test("not even 0.0.0.0/0 admits a request value that is not an IPv4 address", () => {
    for (const bad of ["1.2.3", "1.2.3.4.5", "1.2.3.256", "2001:db8::1", "host"]) {
      assert.equal(ip("IpAddress", "0.0.0.0/0", bad), false, bad);
    }
  });

  test("a request value that is not a dotted quad of 0-255 is in no range", () => {
    for (const bad of [
      "203.0.1.256",
      "203.0.1",
      "203.0.1.2.3",
      "203.0.1.0002",
      "203.0.1.-1",
      "203.0.1.a",
      "",
    ]) {
      assert.equal(ip("IpAddress", "203.0.0.0/16", bad), false, bad);
    }
  });

  test("a malformed policy range matches nothing (and its negation holds)", () => {
    for (const bad of [
      "203.0.113.0/33",
      "203.0.113.0/-1",
      "203.0.113.0/8.5",
      "203.0.113.0/x",
      "2001:db8::/129",
      "host",
    ]) {
      assert.equal(ip("IpAddress", bad, "203.0.113.7"), false, bad);
      assert.equal(ip("NotIpAddress", bad, "203.0.113.7"), true, bad);
    }
    assert.equal(ip("IpAddress", ["bad", "203.0.113.0/24"], "203.0.113.7"), true);
    // A negative prefix is not read as some other prefix length.
    assert.equal(ip("IpAddress", "203.0.113.0/-1", "203.0.113.1"), false);
    assert.equal(ip("IpAddress", "203.0.113.0/-1", "203.0.113.0"), false);
  });
});

describe("ARN operators: the six components", () => {
  const arn = (op: string, policy: unknown, value: string) => one(op, "aws:SourceArn", policy, value);

  test("the resource component keeps its own colons, literal or after a wildcard", () => {
    assert.equal(arn("ArnLike", "arn:aws:sns:*:*:topic:sub", "arn:aws:sns:us-east-1:1:topic:sub"), true);
    assert.equal(arn("ArnLike", "arn:aws:sns:*:*:topic:sub", "arn:aws:sns:us-east-1:1:topic-sub"), false);
    assert.equal(
      arn("ArnLike", "arn:aws:logs:*:*:log-group:*:*", "arn:aws:logs:eu-west-1:1:log-group:g:x"),
      true,
    );
    assert.equal(
      arn("ArnLike", "arn:aws:logs:*:*:log-group:*:*", "arn:aws:logs:eu-west-1:1:log-group:g"),
      false,
    );
    assert.equal(arn("ArnLike", "arn:aws:s3:::b*:k", "arn:aws:s3:::bucket:k"), true);
    assert.equal(arn("ArnLike", "arn:aws:s3:::b*:k", "arn:aws:s3:::bucket/k"), false);
  });

  test("a pattern with fewer than six components matches nothing", () => {
    assert.equal(arn("ArnLike", "arn:aws:iam::*", "arn:aws:iam::123456789012:root"), false);
    assert.equal(arn("ArnNotLike", "arn:aws:iam::*", "arn:aws:iam::123456789012:root"), true);
    assert.equal(arn("ArnLike", "*", "arn:aws:iam::123456789012:root"), false);
  });

  test("the value must be an ARN: six components, the first of them 'arn'", () => {
    assert.equal(arn("ArnLike", "*:*:*:*:*:*", "urn:aws:iam::1:root"), false);
    assert.equal(arn("ArnLike", "*:*:*:*:*:*", "arn:aws:iam::1:root"), true);
    assert.equal(arn("ArnLike", "*:*:*:*:*:*", "arn:aws:iam::1"), false);
    assert.equal(arn("ArnNotLike", "*:*:*:*:*:*", "arn:aws:iam::1"), true);
  });

  test("an unresolvable variable in an ARN pattern matches nothing", () => {
    assert.equal(
      arn("ArnLike", "arn:aws:iam::${aws:PrincipalAccount}:role/*", "arn:aws:iam::1:role/r"),
      false,
    );
    assert.equal(
      arn("ArnNotLike", "arn:aws:iam::${aws:PrincipalAccount}:role/*", "arn:aws:iam::1:role/r"),
      true,
    );
  });

  test("splitArn: the six components, the sixth with its colons", () => {
    assert.deepEqual(splitArn("arn:aws:logs:eu-west-1:1:log-group:g:x"), [
      "arn",
      "aws",
      "logs",
      "eu-west-1",
      "1",
      "log-group:g:x",
    ]);
    assert.deepEqual(splitArn("arn:aws:s3:::bucket"), ["arn", "aws", "s3", "", "", "bucket"]);
    assert.equal(splitArn("arn:aws:s3::bucket"), undefined);
    assert.equal(splitArn("urn:aws:s3:::bucket"), undefined);
  });
});

describe("String operators: the case-insensitive forms", () => {
  test("StringEqualsIgnoreCase still compares the text", () => {
    assert.equal(one("StringEqualsIgnoreCase", "idp:sub", "Mary", "John"), false);
    assert.equal(one("StringEqualsIgnoreCase", "idp:sub", "Mary", "MARY"), true);
  });

  test("StringEqualsIgnoreCase substitutes policy variables", () => {
    assert.equal(
      holds(
        { StringEqualsIgnoreCase: { "idp:sub": "${aws:username}" } },
        { "idp:sub": "BOB", "aws:username": "bob" },
      ),
      true,
    );
    assert.equal(
      holds(
        { StringEqualsIgnoreCase: { "idp:sub": "${aws:username}" } },
        { "idp:sub": "eve", "aws:username": "bob" },
      ),
      false,
    );
  });

  test("StringEqualsIgnoreCase matches nothing; StringNotEqualsIgnoreCase holds", () => {
    assert.equal(one("StringEqualsIgnoreCase", "idp:sub", "${aws:username}", "x"), false);
    assert.equal(one("StringNotEqualsIgnoreCase", "idp:sub", "${aws:username}", "x"), true);
    assert.equal(one("StringEqualsIgnoreCase", "idp:sub", ["${aws:username}", "X"], "x"), true);
  });
});

describe("Null: several values are OR-ed; only true and false mean anything", () => {
  test("case-insensitive true/false; any other text asks nothing", () => {
    assert.equal(holds({ Null: { "idp:sub": "TRUE" } }, {}), true);
    assert.equal(holds({ Null: { "idp:sub": "False" } }, { "idp:sub": "x" }), true);
    assert.equal(holds({ Null: { "idp:sub": "maybe" } }, {}), false);
    assert.equal(holds({ Null: { "idp:sub": "maybe" } }, { "idp:sub": "x" }), false);
    assert.equal(holds({ Null: { "idp:sub": ["true", "false"] } }, {}), true);
    assert.equal(holds({ Null: { "idp:sub": ["true", "false"] } }, { "idp:sub": "x" }), true);
  });
});
