import {
  explainWebIdentity,
  parseProviderArn,
  providerKey,
  webIdentityRequest,
} from "../../core/federation/index.js";
import {
  type ConditionTrace,
  type Evaluation,
  evaluate,
  type Policy,
  type RequestPrincipal,
  requestContext,
} from "../../core/policy/index.js";
import { providerSpecificClaims } from "../../platforms/index.js";

/**
 * What `keyless explain` reports: whether a token may assume a role under a trust policy, and why,
 * per required action, statement and condition. The JSON form of this type is the stable
 * machine-readable output (`--json`): fields are only ever added.
 */
export interface ExplainReport {
  readonly decision: "allow" | "deny";
  /** Which STS call is explained: a token's exchange, or a role session chaining into this role. */
  readonly kind: "web-identity" | "assume-role";
  /** explain decodes tokens without checking signatures: it judges the policy, not the token. */
  readonly tokenVerified: false;
  /** The IAM provider (web-identity) — null for assume-role. */
  readonly provider: { readonly url: string; readonly arn: string; readonly key: string } | null;
  /** The calling principal (assume-role) — null for web-identity. */
  readonly caller: { readonly arn: string; readonly account: string; readonly roleArn: string | null } | null;
  /** What else must hold for AWS to grant the call, beyond this trust policy (e.g. identity policies). */
  readonly notes: readonly string[];
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
    providerKeys: providerSpecificClaims(key),
    now: input.now,
  });
  if (!built.ok) throw new ExplainInputError(built.error.message);
  const { request } = built;
  const explained = explainWebIdentity(input.policy, request);
  return {
    decision: explained.decision,
    kind: "web-identity",
    tokenVerified: false,
    provider: { url, arn: request.principal.id, key },
    caller: null,
    notes: [],
    sessionName: input.sessionName,
    requiredActions: request.actions.map((action) => ({ action, why: whyRequired(action) })),
    actions: explained.actions.map(({ action, evaluation }) => actionReport(action, evaluation)),
    context: Object.fromEntries(
      [...request.context].map(([k, v]) => [originalCase(k, request.providerKey), v]),
    ),
  };
}

function actionReport(action: string, evaluation: Evaluation): ActionReport {
  return {
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
  };
}

const ASSUMED_ROLE = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const IAM_PRINCIPAL = /^arn:([^:]+):iam::(\d{12}):(root|user\/.+|role\/.+)$/;

/** A caller ARN as the principal-matching rules see it (a session's ARN carries no role path). */
export function callerPrincipal(arn: string, roleArn?: string): RequestPrincipal & { type: "AWS" } {
  const session = ASSUMED_ROLE.exec(arn);
  if (session) {
    return {
      type: "AWS",
      arn,
      account: session[2]!,
      roleArn: roleArn ?? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`,
    };
  }
  const iam = IAM_PRINCIPAL.exec(arn);
  if (iam) return { type: "AWS", arn, account: iam[2]! };
  throw new ExplainInputError(
    `caller ${arn} is not an IAM principal ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>, arn:aws:iam::<account>:user/<name>, or :root)`,
  );
}

export interface AssumeRoleExplainInput {
  readonly policy: Policy;
  readonly callerArn: string;
  /** The caller role's ARN with its path, when the trust names a role that has a path. */
  readonly callerRoleArn?: string;
  /** The role being assumed: tells a cross-account call. */
  readonly targetRoleArn?: string;
  readonly sessionName: string;
  /** Extra request-context keys, e.g. aws:PrincipalTag/team or sts:ExternalId. */
  readonly context: Readonly<Record<string, string>>;
  readonly now: number;
}

/** Role chaining and cross-account: may this caller call sts:AssumeRole on a role with this trust? */
export function explainAssumeRole(input: AssumeRoleExplainInput): ExplainReport {
  const principal = callerPrincipal(input.callerArn, input.callerRoleArn);
  const context = requestContext({
    "aws:PrincipalArn": principal.roleArn ?? principal.arn,
    "aws:PrincipalAccount": principal.account,
    "sts:RoleSessionName": input.sessionName,
    "aws:CurrentTime": new Date(input.now).toISOString().replace(/\.\d{3}Z$/, "Z"),
    "aws:EpochTime": String(Math.floor(input.now / 1000)),
    ...input.context,
  });
  const evaluation = evaluate(input.policy, { principal, action: "sts:AssumeRole", context });
  const notes: string[] = [];
  const targetAccount = input.targetRoleArn
    ? /^arn:[^:]+:iam::(\d{12}):/.exec(input.targetRoleArn)?.[1]
    : undefined;
  if (evaluation.decision === "allow" && evaluation.allowedVia === "account") {
    notes.push(
      `the trust names account ${principal.account}, which delegates to it: the caller's own identity policies must also allow sts:AssumeRole on this role`,
    );
  } else if (
    evaluation.decision === "allow" &&
    targetAccount !== undefined &&
    targetAccount !== principal.account
  ) {
    notes.push(
      `cross-account (${principal.account} to ${targetAccount}): the caller's identity policies must also allow sts:AssumeRole on this role`,
    );
  }
  if (principal.roleArn)
    notes.push("role chaining: the chained session lasts at most 1 hour (DurationSeconds 3600 or less)");
  return {
    decision: evaluation.decision,
    kind: "assume-role",
    tokenVerified: false,
    provider: null,
    caller: { arn: principal.arn, account: principal.account, roleArn: principal.roleArn ?? null },
    notes,
    sessionName: input.sessionName,
    requiredActions: [{ action: "sts:AssumeRole", why: "always" }],
    actions: [actionReport("sts:AssumeRole", evaluation)],
    context: Object.fromEntries(context),
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
