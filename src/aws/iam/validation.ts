import { TRUST_POLICY_SIZE_QUOTA } from "../../core/policy/index.js";
import { AwsError } from "../wire/errors.js";
import { PATTERNS, Violations } from "../wire/validation.js";
import type { Tag } from "./repository.js";

/**
 * IAM's input rules apart from the model: quotas, policy text and tag validation, provider URLs.
 * Messages are IAM's own, as its APIs return them
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html).
 */

/** IAM quotas: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html */
export const QUOTAS = {
  providersPerAccount: 100,
  clientIdsPerProvider: 100,
  thumbprintsPerProvider: 5,
  tagsPerEntity: 50,
  rolesPerAccount: 1000,
  /** Trust policy size, counted without whitespace outside strings (AWS does not document how it counts). */
  trustPolicySize: TRUST_POLICY_SIZE_QUOTA,
  /** Aggregate size of a role's inline policies. */
  rolePolicySize: 10240,
  customerPoliciesPerAccount: 1500,
  /** Versions of one managed policy (API_CreatePolicyVersion). */
  policyVersions: 5,
  /** Managed policies attached to one role (the default quota). */
  managedPoliciesPerRole: 10,
  /** Managed policy size in characters, whitespace not counted. */
  managedPolicySize: 6144,
} as const;

export { compactLength } from "../../core/policy/index.js";

export function validatePolicyText(v: Violations, text: string | undefined, member: string): void {
  v.length(text, member, 1, 131072);
  v.pattern(text, member, PATTERNS.policyDocument.regex, PATTERNS.policyDocument.shown);
}

export function validateTags(v: Violations, tags: readonly Tag[] | undefined): void {
  if (tags === undefined) return;
  v.count(tags, "tags", QUOTAS.tagsPerEntity);
  tags.forEach((t, i) => {
    v.length(t.Key, `tags.${i + 1}.member.key`, 1, 128);
    v.pattern(t.Key, `tags.${i + 1}.member.key`, PATTERNS.tagKey.regex, PATTERNS.tagKey.shown);
    v.length(t.Value, `tags.${i + 1}.member.value`, 0, 256);
    v.pattern(t.Value, `tags.${i + 1}.member.value`, PATTERNS.tagValue.regex, PATTERNS.tagValue.shown);
  });
  const keys = tags.map((t) => t.Key.toLowerCase());
  if (new Set(keys).size !== keys.length) {
    throw new AwsError(
      "InvalidInput",
      "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
  }
}

export function requireTags(tags: readonly Tag[] | undefined): readonly Tag[] {
  const v = new Violations();
  if (tags === undefined) v.required(undefined, "tags");
  validateTags(v, tags);
  v.throwIfAny();
  return tags!;
}

export function requireKeys(keys: readonly string[] | undefined): readonly string[] {
  const v = new Violations();
  if (keys === undefined) v.required(undefined, "tagKeys");
  v.count(keys, "tagKeys", QUOTAS.tagsPerEntity);
  v.throwIfAny();
  return keys!;
}

/** New values replace existing tags with the same key (case-insensitive, keeping the new spelling). */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.Key.toLowerCase(), t]));
  for (const t of added) byKey.set(t.Key.toLowerCase(), t);
  if (byKey.size > QUOTAS.tagsPerEntity) {
    throw new AwsError("LimitExceeded", "The number of tags has reached the maximum limit.");
  }
  return [...byKey.values()];
}

export function removeTags(existing: readonly Tag[], keys: readonly string[]): Tag[] {
  const gone = new Set(keys.map((k) => k.toLowerCase()));
  return existing.filter((t) => !gone.has(t.Key.toLowerCase()));
}

export const unique = (values: readonly string[]): string[] => [...new Set(values)];

/**
 * `https://host[/path]` → `host[/path]`. https only; path allowed; no query or fragment. Ports are
 * accepted (AWS says the URL "should not" carry one; a local issuer needs one).
 */
export function providerUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (
    parsed?.protocol !== "https:" ||
    !url.startsWith("https://") ||
    parsed.search !== "" ||
    parsed.hash !== "" ||
    url.includes("?") ||
    url.includes("#") ||
    parsed.username !== "" ||
    parsed.password !== "" ||
    url.length <= "https://".length
  ) {
    throw new AwsError(
      "InvalidInput",
      "Invalid Open ID Connect Provider URL. The URL must begin with https://.",
    );
  }
  // The URL is kept as written (case and trailing slash matter: a different spelling is another provider).
  return url.slice("https://".length);
}
