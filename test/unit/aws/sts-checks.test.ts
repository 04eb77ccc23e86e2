import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deflateRawSync } from "node:zlib";
import { checkRolesClaim, packedSize, policyChecks, sessionNameChecks } from "../../../src/aws/sts/checks.js";
import { STS_MESSAGES } from "../../../src/aws/sts/messages.js";
import { AwsError } from "../../../src/aws/wire/errors.js";
import { Violations } from "../../../src/aws/wire/validation.js";

/**
 * STS's shared input checks (AssumeRole, AssumeRoleWithWebIdentity): the model constraints of
 * RoleSessionName, Policy and PolicyArns
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_RequestParameters),
 * the packed-size budget and the IdP's roles claim.
 */

/** The ValidationError message the violations add up to, or "" when there are none. */
function violations(check: (v: Violations) => void): string {
  const v = new Violations();
  check(v);
  try {
    v.throwIfAny();
  } catch (error) {
    assert.ok(error instanceof AwsError);
    assert.equal(error.code, "ValidationError");
    return error.message;
  }
  assert.ok(v.empty);
  return "";
}

const ROLE = "arn:aws:iam::123456789012:role/deploy";
const OTHER = "arn:aws:iam::123456789012:role/other";

describe("sessionNameChecks: RoleSessionName is required, 2 to 64 of [\\w+=,.@-]", () => {
  test("absent: one 'not be null' violation, no length or pattern check after it", () => {
    assert.equal(
      violations((v) => sessionNameChecks(v, undefined)),
      "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
    );
  });

  test("length bounds on both sides of the edge", () => {
    assert.equal(
      violations((v) => sessionNameChecks(v, "a")),
      "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    assert.equal(
      violations((v) => sessionNameChecks(v, "ab")),
      "",
    );
    assert.equal(
      violations((v) => sessionNameChecks(v, "a".repeat(64))),
      "",
    );
    assert.match(
      violations((v) => sessionNameChecks(v, "a".repeat(65))),
      /^1 validation error detected: .* at 'roleSessionName' .*Member must have length less than or equal to 64$/,
    );
  });

  test("characters outside the pattern", () => {
    assert.equal(
      violations((v) => sessionNameChecks(v, "run 1")),
      "1 validation error detected: Value 'run 1' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    assert.equal(
      violations((v) => sessionNameChecks(v, "ci+run=1,a.b@c-d_e")),
      "",
    );
  });
});

describe("policyChecks: Policy length and characters, at most 10 PolicyArns of 20 to 2048 characters", () => {
  test("nothing passed: nothing to check", () => {
    assert.equal(
      violations((v) => policyChecks(v, undefined, undefined, 2048)),
      "",
    );
    assert.equal(
      violations((v) => policyChecks(v, undefined, [], 2048)),
      "",
    );
  });

  test("the policy's length is bounded by the caller's maximum", () => {
    assert.equal(
      violations((v) => policyChecks(v, "x".repeat(10), undefined, 10)),
      "",
    );
    assert.match(
      violations((v) => policyChecks(v, "x".repeat(11), undefined, 10)),
      /^1 validation error detected: .* at 'policy' .*Member must have length less than or equal to 10$/,
    );
    // Empty: too short, and the pattern needs at least one character too.
    assert.equal(
      violations((v) => policyChecks(v, "", undefined, 10)),
      "2 validation errors detected: Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value '' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
    );
  });

  test("characters above U+00FF are outside the policy pattern", () => {
    assert.match(
      violations((v) => policyChecks(v, '{"a":"\u0100"}', undefined, 100)),
      /^1 validation error detected: .* at 'policy' .*regular expression pattern/,
    );
    assert.equal(
      violations((v) => policyChecks(v, '{"a":"\u00ff"}', undefined, 100)),
      "",
    );
  });

  test("ten policy ARNs at most", () => {
    const arns = (n: number) => Array.from({ length: n }, (_, i) => `arn:aws:iam::aws:policy/P${i}`);
    assert.equal(
      violations((v) => policyChecks(v, undefined, arns(10), 2048)),
      "",
    );
    assert.match(
      violations((v) => policyChecks(v, undefined, arns(11), 2048)),
      /^1 validation error detected: .* at 'policyArns' .*Member must have length less than or equal to 10$/,
    );
  });

  test("each ARN is 20 to 2048 characters, named by its 1-based member index", () => {
    const short = "arn:aws:iam::aws:p/"; // 19
    assert.equal(short.length, 19);
    assert.equal(
      violations((v) => policyChecks(v, undefined, [`${short}x`, short], 2048)),
      `1 validation error detected: Value '${short}' at 'policyArns.2.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20`,
    );
    const long = `arn:aws:iam::aws:policy/${"p".repeat(2048 - 24)}`;
    assert.equal(long.length, 2048);
    assert.equal(
      violations((v) => policyChecks(v, undefined, [long], 2048)),
      "",
    );
    assert.match(
      violations((v) => policyChecks(v, undefined, [`${long}p`], 2048)),
      /at 'policyArns\.1\.member\.arn' failed to satisfy constraint: Member must have length less than or equal to 2048$/,
    );
  });
});

/** The emulator's packing, written out: deflate of [compact policy, ARNs, [key, value] pairs] over 2048 bytes. */
const expectedPercent = (policy: string, arns: string[], tags: [string, string][]) =>
  Math.ceil((deflateRawSync(Buffer.from(JSON.stringify([policy, arns, tags]))).length * 100) / 2048);

/** Deterministic text that deflate cannot shrink much (a linear congruential generator over 64 symbols). */
function noise(length: number, seed = 7): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.";
  let x = seed;
  let out = "";
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet[(x >>> 16) % 64];
  }
  return out;
}

describe("packedSize: the share of a 2048-byte budget the deflated session policy, ARNs and tags use", () => {
  test("undefined when no session policy, policy ARN or tag was passed", () => {
    assert.equal(packedSize(undefined, undefined, []), undefined);
    assert.equal(packedSize(undefined, [], []), undefined);
  });

  test("any one of the three makes a size", () => {
    const policy = '{"Version":"2012-10-17"}';
    assert.equal(packedSize(policy, undefined, []), expectedPercent(policy, [], []));
    const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    assert.equal(packedSize(undefined, [arn], []), expectedPercent("", [arn], []));
    const tags = [{ key: "team", value: noise(600) }];
    const percent = packedSize(undefined, undefined, tags);
    assert.equal(percent, expectedPercent("", [], [["team", noise(600)]]));
    assert.ok(percent !== undefined && percent > 20, `${percent}`);
  });

  test("the policy counts compacted: whitespace between tokens costs nothing", () => {
    // Irregular whitespace deflates badly: uncompacted, this policy alone would be far over budget.
    const ws = noise(20_000)
      .split("")
      .map((c) => [" ", "\n", "\t", "\r"][c.charCodeAt(0) % 4])
      .join("");
    const spaced = `{${ws}"Version"${ws}:${ws}"2012-10-17"${ws}}`;
    assert.equal(packedSize(spaced, undefined, []), packedSize('{"Version":"2012-10-17"}', undefined, []));
    assert.ok((packedSize(spaced, undefined, []) ?? 100) < 5);
  });

  test("a policy that is not JSON is packed as sent (its grammar error is reported elsewhere)", () => {
    const broken = '{"Version": ';
    assert.equal(packedSize(broken, undefined, []), expectedPercent(broken, [], []));
  });

  test("100 % fits; above it the call fails with PackedPolicyTooLarge and the percentage", () => {
    // Find tag values whose packed size lands exactly on 100 % and 101 %.
    const text = noise(4000);
    const at = (target: number) => {
      for (let n = 2000; n < 4000; n++) {
        if (expectedPercent("", [], [["k", text.slice(0, n)]]) === target) return text.slice(0, n);
      }
      throw new Error(`no length packs to ${target} %`);
    };
    assert.equal(packedSize(undefined, undefined, [{ key: "k", value: at(100) }]), 100);
    assert.throws(
      () => packedSize(undefined, undefined, [{ key: "k", value: at(101) }]),
      (e: unknown) =>
        e instanceof AwsError &&
        e.code === "PackedPolicyTooLarge" &&
        e.message === "Packed policy consumes 101% of allotted space",
    );
  });
});

describe("checkRolesClaim: the IdP's https://aws.amazon.com/roles claim must name the role", () => {
  const refuses = (value: unknown, message: string) =>
    assert.throws(
      () => checkRolesClaim(value, ROLE),
      (e: unknown) => e instanceof AwsError && e.code === "InvalidIdentityToken" && e.message === message,
      JSON.stringify(value),
    );

  test("no claim (absent or null): nothing to check", () => {
    checkRolesClaim(undefined, ROLE);
    checkRolesClaim(null, ROLE);
  });

  test("one ARN, a list, or ARNs separated by semicolons (spaces around them ignored)", () => {
    checkRolesClaim(ROLE, ROLE);
    checkRolesClaim([OTHER, ROLE], ROLE);
    checkRolesClaim(` ${OTHER} ; ${ROLE} `, ROLE);
    checkRolesClaim([`${OTHER};${ROLE}`], ROLE);
  });

  test("no valid role ARN in it: rolesClaimEmpty", () => {
    assert.equal(STS_MESSAGES.rolesClaimEmpty, "The roles claim contains no valid role ARNs");
    refuses([], STS_MESSAGES.rolesClaimEmpty);
    refuses([42, true, { arn: ROLE }], STS_MESSAGES.rolesClaimEmpty);
    refuses("not-an-arn;arn:aws:iam::123456789012:user/u", STS_MESSAGES.rolesClaimEmpty);
    // Only the aws partition's role ARNs count.
    refuses("arn:aws-cn:iam::123456789012:role/deploy", STS_MESSAGES.rolesClaimEmpty);
  });

  test("valid ARNs, but not this role: rolesClaimMissingRole", () => {
    assert.equal(
      STS_MESSAGES.rolesClaimMissingRole,
      "The target role ARN is not present in the roles claim of the identity token",
    );
    refuses(OTHER, STS_MESSAGES.rolesClaimMissingRole);
    refuses([42, OTHER], STS_MESSAGES.rolesClaimMissingRole);
    // Non-strings are skipped, not fatal, when a valid ARN names the role.
    checkRolesClaim([42, ROLE], ROLE);
  });
});
