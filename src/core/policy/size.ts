/**
 * IAM's size quota for a role's trust policy, and how keyless counts it: one rule for the emulator
 * (CreateRole / UpdateAssumeRolePolicy answer LimitExceeded) and for `keyless lint` (OIDC-109), so lint
 * never passes a policy the emulator refuses.
 */

/**
 * "Role trust policy length": 2048 characters by default, adjustable up to 4096
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). IAM's refusal is
 * `LimitExceeded` `Cannot exceed quota for ACLSizePerRole: 2048`.
 */
export const TRUST_POLICY_SIZE_QUOTA = 2048;

/**
 * Length in UTF-16 code units of a policy without insignificant whitespace (how the size quotas are
 * counted here: AWS does not document whether whitespace counts, and is commonly observed not to count
 * it). Text that is not JSON is counted as it is.
 */
export function compactLength(text: string): number {
  try {
    return JSON.stringify(JSON.parse(text)).length;
  } catch {
    return text.length;
  }
}
