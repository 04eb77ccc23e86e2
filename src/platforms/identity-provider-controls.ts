import { parseOidcProviderArn } from "../core/aws/arn.js";
import type { Policy, Statement } from "../core/policy/types.js";
import { iamScopedKeys } from "./index.js";

/**
 * IAM's identity-provider controls for shared OIDC providers, decided in one place for the emulator
 * (CreateRole / UpdateAssumeRolePolicy refuse the policy) and for lint (OIDC-109 says they will): a trust
 * policy that trusts one of these multi-tenant issuers must evaluate the listed key(s) "using
 * StringEquals, StringLike or StringEqualsIgnoreCase" with a value other than `*`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc_secure-by-default.html). The
 * hosts and keys live in the platform records. The check is on spelling, as AWS's is (`repo:*` passes).
 *
 * Where AWS's documentation is silent, keyless reads it literally (docs/aws-silences.md): only the three
 * named operators count, so a set-qualified one (`ForAnyValue:StringLike`, `ForAllValues:StringLike`,
 * which is true when the key is absent) or an `…IfExists` one does not scope the key.
 */
const NAMED = new Set(["StringEquals", "StringLike", "StringEqualsIgnoreCase"]);

/** One statement IAM would refuse: its index, the principal, the key(s) it must scope and IAM's message. */
export interface ControlViolation {
  readonly statement: number;
  readonly federated: string;
  /** Full condition keys (`token.actions.githubusercontent.com:sub`, `sts:RoleSessionName`). */
  readonly keys: readonly string[];
  /** IAM's MalformedPolicyDocument message. */
  readonly message: string;
}

/**
 * The provider key (`host[/path]`) a `Federated` principal names: an IAM OIDC provider ARN's resource
 * (also in templates whose partition and account are still placeholders), or a bare host (AWS's
 * built-in providers). Undefined for a SAML provider.
 */
export function federatedProviderKey(federated: string): string | undefined {
  const parsed = parseOidcProviderArn(federated)?.url;
  if (parsed !== undefined) return parsed;
  const marker = ":oidc-provider/";
  const at = federated.indexOf(marker);
  if (at >= 0) return federated.slice(at + marker.length);
  return federated.startsWith("arn:") ? undefined : federated;
}

/** Whether one condition scopes a key the way the controls ask. */
function scopes(condition: Statement["conditions"][number], wanted: readonly string[]): boolean {
  return (
    NAMED.has(condition.operator.base) &&
    condition.operator.set === undefined &&
    !condition.operator.ifExists &&
    wanted.includes(condition.key.toLowerCase()) &&
    condition.values.some((v) => v !== "*")
  );
}

/** The violations of one statement (index `index`): one per shared provider it trusts unscoped. */
export function statementControlViolations(statement: Statement, index: number): ControlViolation[] {
  if (statement.effect !== "Allow" || !statement.principal || statement.principal.block.kind !== "map")
    return [];
  const out: ControlViolation[] = [];
  for (const federated of statement.principal.block.entries.get("Federated") ?? []) {
    const host = federatedProviderKey(federated);
    const keys = host === undefined ? undefined : iamScopedKeys(host);
    if (!keys) continue;
    const full = keys.map((k) => (k.includes(":") ? k : `${host}:${k}`));
    if (
      statement.conditions.some((c) =>
        scopes(
          c,
          full.map((k) => k.toLowerCase()),
        ),
      )
    )
      continue;
    out.push({
      statement: index,
      federated,
      keys: full,
      message: `Trust policy with trusted principal ${federated} must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, ${full.join(" or ")} which is not scoped to all.`,
    });
  }
  return out;
}

/** Every statement of a trust policy IAM's identity-provider controls refuse, in order. */
export function identityProviderControlViolations(policy: Policy): ControlViolation[] {
  return policy.statements.flatMap((s, i) => statementControlViolations(s, i));
}
