import type { Policy } from "../../core/policy/types.js";
import { identityProviderControlViolations } from "../../platforms/identity-provider-controls.js";
import { AwsError } from "../wire/errors.js";

/**
 * IAM's identity-provider controls for shared OIDC providers at CreateRole / UpdateAssumeRolePolicy
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc_secure-by-default.html): the
 * decision is the platforms layer's, shared with lint's OIDC-109, so the two never disagree. The first
 * violating statement is reported, with IAM's message.
 */
export function checkSharedIssuerControls(policy: Policy): void {
  const first = identityProviderControlViolations(policy)[0];
  if (first) throw new AwsError("MalformedPolicyDocument", first.message);
}
