import type { ProviderKey, ProviderKeyFacts } from "./types.js";

/**
 * AWS's list of the condition keys STS derives from web identity tokens: the AssumeRoleWithWebIdentity
 * row and the condition-key table of the Service Authorization Reference for STS. Every platform record's
 * `providerKeys` cites it; the IAM User Guide describes the same keys at
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
 */
export const STS_CONDITION_KEYS =
  "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html#awssecuritytokenservice-policy-keys";

/** Keys named like the top-level claim they carry. */
export const sameAsClaim = (...names: string[]): ProviderKey[] => names.map((key) => ({ key, claim: [key] }));

/** A platform for which AWS lists no provider-specific key. */
export const NO_PROVIDER_KEYS: ProviderKeyFacts = { source: STS_CONDITION_KEYS, hosts: [], keys: [] };

/** Whether a lowercase host matches a pattern of `hosts` (`*` spans one label or more). */
export function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.includes("*")) return pattern === host;
  const [head, tail] = pattern.split("*", 2) as [string, string];
  return host.length > head.length + tail.length && host.startsWith(head) && host.endsWith(tail);
}
