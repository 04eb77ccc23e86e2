import {
  explainWebIdentity,
  parseProviderArn,
  providerKey,
  webIdentityRequest,
} from "../../core/federation/index.js";
import type { ConditionTrace, Policy } from "../../core/policy/index.js";

/**
 * What `keyless explain` reports: whether a token may assume a role under a trust policy, and why,
 * per required action, statement and condition. The JSON form of this type is the stable
 * machine-readable output (`--json`): fields are only ever added.
 */
export interface ExplainReport {
  readonly decision: "allow" | "deny";
  /** explain decodes tokens without checking signatures: it judges the policy, not the token. */
  readonly tokenVerified: false;
  readonly provider: { readonly url: string; readonly arn: string; readonly key: string };
  readonly sessionName: string;
  /** Every action the trust policy must allow, and why each is needed. */
  readonly requiredActions: readonly { readonly action: string; readonly why: string }[];
  readonly actions: readonly ActionReport[];
  /** The request context STS would build from the token (key → values). */
  readonly context: Readonly<Record<string, readonly string[]>>;
}

export interface ActionReport {
  readonly action: string;
  readonly decision: "allow" | "deny";
  readonly reason: "allowed" | "explicit-deny" | "implicit-deny";
  readonly statements: readonly StatementReport[];
}

export interface StatementReport {
  readonly index: number;
  readonly sid: string | null;
  readonly effect: "Allow" | "Deny";
  readonly applies: boolean;
  readonly principal: { readonly matched: boolean; readonly reason: string } | null;
  readonly action: {
    readonly matched: boolean;
    readonly patterns: readonly string[];
    readonly negated: boolean;
  };
  readonly conditions: readonly ConditionTrace[];
}

export class ExplainInputError extends Error {}

export interface ExplainInput {
  readonly policy: Policy;
  readonly claims: Readonly<Record<string, unknown>>;
  /** The IAM provider's URL; defaults to the token's `iss`. */
  readonly providerUrl?: string;
  /** The account holding the provider; defaults to the account of the policy's Federated principal for
   * that provider, else 123456789012 (the emulator's default account). */
  readonly account?: string;
  readonly sessionName: string;
  readonly now: number;
}

export function explainAssumeRoleWithWebIdentity(input: ExplainInput): ExplainReport {
  const url = input.providerUrl ?? (typeof input.claims.iss === "string" ? input.claims.iss : undefined);
  if (url === undefined)
    throw new ExplainInputError("no provider URL: pass --provider-url, or a token whose iss claim names it");
  const key = providerKey(url);
  if (key === undefined)
    throw new ExplainInputError(`provider URL ${url} must start with https:// (IAM accepts no other scheme)`);
  const account = input.account ?? accountOfProvider(input.policy, key) ?? "123456789012";
  const built = webIdentityRequest({
    claims: input.claims,
    providerUrl: url,
    account,
    roleSessionName: input.sessionName,
    now: input.now,
  });
  if (!built.ok) throw new ExplainInputError(built.error.message);
  const { request } = built;
  const explained = explainWebIdentity(input.policy, request);
  return {
    decision: explained.decision,
    tokenVerified: false,
    provider: { url, arn: request.principal.id, key },
    sessionName: input.sessionName,
    requiredActions: request.actions.map((action) => ({ action, why: whyRequired(action) })),
    actions: explained.actions.map(({ action, evaluation }) => ({
      action,
      decision: evaluation.decision,
      reason: evaluation.reason,
      statements: evaluation.statements.map((s) => ({
        index: s.index,
        sid: s.sid ?? null,
        effect: s.effect,
        applies: s.applies,
        principal: s.principal ? { matched: s.principal.matched, reason: s.principal.reason } : null,
        action: { matched: s.action.matched, patterns: s.action.patterns, negated: s.action.negated },
        conditions: s.conditions,
      })),
    })),
    context: Object.fromEntries(
      [...request.context].map(([k, v]) => [originalCase(k, request.providerKey), v]),
    ),
  };
}

function whyRequired(action: string): string {
  switch (action) {
    case "sts:TagSession":
      return "the token carries session tags (https://aws.amazon.com/tags)";
    case "sts:SetSourceIdentity":
      return "the token carries a source identity (https://aws.amazon.com/source_identity)";
    default:
      return "always";
  }
}

/** The account of a Federated principal in the policy that names this provider, if any. */
function accountOfProvider(policy: Policy, key: string): string | undefined {
  for (const statement of policy.statements) {
    const block = statement.principal?.block;
    if (block?.kind !== "map") continue;
    for (const id of block.entries.get("Federated") ?? []) {
      const parsed = parseProviderArn(id);
      if (parsed?.key === key) return parsed.account;
    }
  }
  return undefined;
}

/** Context keys are stored lower-case; show the provider prefix as the user wrote it. */
function originalCase(key: string, provider: string): string {
  return key.startsWith(provider.toLowerCase()) ? provider + key.slice(provider.length) : key;
}
