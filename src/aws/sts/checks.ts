import { deflateRawSync } from "node:zlib";
import { parseRoleArn } from "../../core/aws/arn.js";
import type { SessionTag } from "../credentials/caller.js";
import { AwsError } from "../wire/errors.js";
import { PATTERNS, type Violations } from "../wire/validation.js";
import { STS_MESSAGES } from "./messages.js";

/** STS's input checks shared by AssumeRole and AssumeRoleWithWebIdentity, apart from the model. */

/** AWS accepts `exp` up to five minutes past, and `iat`/`nbf` up to five minutes ahead (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html). */
export const SKEW_SECONDS = 300;
/**
 * PackedPolicySize: AWS does not document how it packs (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html, PackedPolicySize). The emulator deflates the session policy,
 * policy ARNs and tags and reports the share of a 2048-byte budget; above 100% the call fails.
 */
const PACKED_BUDGET_BYTES = 2048;

export function sessionNameChecks(v: Violations, name: string | undefined): void {
  if (!v.required(name, "roleSessionName")) return;
  v.length(name, "roleSessionName", 2, 64);
  v.pattern(name, "roleSessionName", PATTERNS.sessionName.regex, PATTERNS.sessionName.shown);
}

export function policyChecks(
  v: Violations,
  policy: string | undefined,
  arns: readonly string[] | undefined,
  max: number,
): void {
  if (policy !== undefined) {
    v.length(policy, "policy", 1, max);
    v.pattern(policy, "policy", PATTERNS.policyDocument.regex, PATTERNS.policyDocument.shown);
  }
  v.count(arns, "policyArns", 10);
  for (const [i, arn] of (arns ?? []).entries()) v.length(arn, `policyArns.${i + 1}.member.arn`, 20, 2048);
}

/** The share (%) of the packed budget used by session policies and tags; undefined when none were passed. */
export function packedSize(
  policy: string | undefined,
  arns: readonly string[] | undefined,
  tags: readonly SessionTag[],
): number | undefined {
  if (policy === undefined && (arns ?? []).length === 0 && tags.length === 0) return undefined;
  let compact = policy ?? "";
  try {
    if (policy !== undefined) compact = JSON.stringify(JSON.parse(policy));
  } catch {
    // grammar errors were reported before this point
  }
  const packed = deflateRawSync(
    Buffer.from(JSON.stringify([compact, arns ?? [], tags.map((t) => [t.key, t.value])])),
  ).length;
  const percent = Math.ceil((packed * 100) / PACKED_BUDGET_BYTES);
  if (percent > 100) throw new AwsError("PackedPolicyTooLarge", STS_MESSAGES.packed(percent));
  return percent;
}

export function checkRolesClaim(value: unknown, roleArn: string): void {
  if (value === undefined || value === null) return;
  const raw = Array.isArray(value) ? value : [value];
  const arns = raw
    .filter((r): r is string => typeof r === "string")
    .flatMap((r) => r.split(";"))
    .map((r) => r.trim())
    .filter((r) => parseRoleArn(r)?.partition === "aws");
  if (arns.length === 0) throw new AwsError("InvalidIdentityToken", STS_MESSAGES.rolesClaimEmpty);
  if (!arns.includes(roleArn)) throw new AwsError("InvalidIdentityToken", STS_MESSAGES.rolesClaimMissingRole);
}
