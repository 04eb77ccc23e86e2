import { conditionHolds } from "../../../core/policy/index.js";
import type { RequestContext, Statement } from "../../../core/policy/types.js";
import { statementControlViolations } from "../../../platforms/identity-provider-controls.js";
import { providerSpecificClaims, providerStandardKeys } from "../../../platforms/index.js";
import type { Severity } from "../findings.js";
import { operatorOf, type Raw } from "./hygiene.js";

const ABSENT: RequestContext = new Map();

/**
 * Condition keys the statement's provider does not have (OIDC-104): another provider's prefix, or a
 * claim STS does not turn into a key for this provider (the list AWS publishes, from the platform
 * records: the engine reads the same one). The key is then always absent.
 */
export function providerKeyChecks(statement: Statement, prefix: string, where: string): Raw[] {
  const out: Raw[] = [];
  const subKey = `${prefix}:sub`.toLowerCase();
  const seen = new Set<string>();
  for (const c of statement.conditions) {
    const lower = c.key.toLowerCase();
    const colon = lower.lastIndexOf(":");
    const keyPrefix = lower.slice(0, colon);
    if (colon < 0 || !keyPrefix.includes(".") || seen.has(lower)) continue; // global (aws:, sts:) keys
    seen.add(lower);
    // What the condition is with the key absent, by the engine's own rule (the emulator's and explain's):
    // true for negated operators, IfExists, ForAllValues and Null "true"; false for the rest, Bool and
    // Numeric included (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
    const failsOpen = conditionHolds(c, ABSENT, true);
    // Either way it is an error: failing open lets others in, the other way locks everyone out.
    const severity: Severity = "high";
    const effect = failsOpen
      ? `the key is always absent, so ${operatorOf(c)} is always true: the condition fails open`
      : `the key is always absent, so ${operatorOf(c)} is always false: nobody can assume the role`;
    if (keyPrefix !== prefix.toLowerCase()) {
      out.push({
        rule: "OIDC-104",
        severity,
        message: `${where}: condition ${operatorOf(c)} ${c.key} uses prefix "${c.key.slice(0, colon)}", but the statement's provider is "${prefix}" (keys are <provider host+path>:<claim>); ${effect}. Rename the key to ${prefix}:${c.key.slice(colon + 1)}.`,
        fix: {
          description: `Rename the key to ${prefix}:${c.key.slice(colon + 1)}.`,
          edits: [{ op: "rename-condition-key", from: c.key, to: `${prefix}:${c.key.slice(colon + 1)}` }],
        },
      });
    } else {
      const claim = lower.slice(colon + 1);
      if (!providerStandardKeys(prefix).includes(claim) && !providerSpecificClaims(prefix).includes(claim)) {
        out.push({
          rule: "OIDC-104",
          severity,
          message: `${where}: condition ${operatorOf(c)} ${c.key} names claim "${claim}", which AWS does not turn into a condition key for provider ${prefix} (custom claims are not keys); ${effect}. ${
            providerStandardKeys(prefix).includes("sub")
              ? `Match the claim through ${subKey} or a session tag (aws:RequestTag/…) instead.`
              : `Its keys are ${[...providerStandardKeys(prefix), ...providerSpecificClaims(prefix)].map((k) => `${prefix}:${k}`).join(", ")}.`
          }`,
          fix: {
            description: `Remove the condition on ${c.key}, a key STS never sets for ${prefix}.`,
            edits: [{ op: "remove-condition", key: c.key }],
          },
        });
      }
    }
  }

  return out;
}

/** IAM's identity-provider controls (OIDC-109): the decision the emulator applies at CreateRole. */
export function controlChecks(
  statement: Statement,
  federatedId: string,
  prefix: string,
  where: string,
): Raw[] {
  return statementControlViolations(statement, 0)
    .filter((v) => v.federated === federatedId)
    .map((v) => ({
      rule: "OIDC-109",
      severity: "medium",
      message: `${where}: IAM refuses to create or update this trust policy (MalformedPolicyDocument: "…must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, ${v.keys.join(" or ")} which is not scoped to all"), since ${prefix} is a shared issuer. Add a StringEquals condition on ${v.keys[0]}.`,
    }));
}
