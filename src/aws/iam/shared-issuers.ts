import { parseOidcProviderArn } from "../../core/aws/arn.js";
import type { Policy } from "../../core/policy/types.js";
import { iamScopedKeys } from "../../platforms/index.js";
import { AwsError } from "../wire/errors.js";

/**
 * IAM's identity-provider controls for shared OIDC providers: a trust policy that trusts one of these
 * multi-tenant issuers must pin the listed key(s) with a positive string operator and a value other than
 * `*`; otherwise CreateRole / UpdateAssumeRolePolicy fail
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html). The hosts and
 * keys live in the platform records (src/platforms/). The check is on spelling, as AWS's is (`repo:*`
 * passes). Set-qualified positive operators (`ForAnyValue:StringLike`) count as positive: AWS's handling
 * is undocumented, so this is the emulator's choice.
 */
const POSITIVE = new Set(["StringEquals", "StringLike", "StringEqualsIgnoreCase"]);

function sharedIssuerOf(federated: string): { host: string; keys: readonly string[] } | undefined {
  const host = parseOidcProviderArn(federated)?.url ?? federated;
  const keys = iamScopedKeys(host);
  return keys ? { host, keys } : undefined;
}

export function checkSharedIssuerControls(policy: Policy): void {
  for (const statement of policy.statements) {
    if (statement.effect !== "Allow" || !statement.principal || statement.principal.block.kind !== "map")
      continue;
    for (const federated of statement.principal.block.entries.get("Federated") ?? []) {
      const issuer = sharedIssuerOf(federated);
      if (!issuer) continue;
      const wanted = issuer.keys.map((k) => (k.includes(":") ? k : `${issuer.host}:${k}`).toLowerCase());
      const scoped = statement.conditions.some(
        (c) =>
          POSITIVE.has(c.operator.base) &&
          !c.operator.ifExists &&
          wanted.includes(c.key.toLowerCase()) &&
          c.values.some((v) => v !== "*"),
      );
      if (scoped) continue;
      const keys = issuer.keys.map((k) => (k.includes(":") ? k : `${issuer.host}:${k}`)).join(" or ");
      throw new AwsError(
        "MalformedPolicyDocument",
        `Trust policy with trusted principal ${federated} must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, ${keys} which is not scoped to all.`,
      );
    }
  }
}
