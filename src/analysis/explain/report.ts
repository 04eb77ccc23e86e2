import { accountOfArn } from "../../core/aws/arn.js";
import {
  assumeRoleRequest,
  CallerArnError,
  explainWebIdentity,
  hasAmbiguousAudience,
  MANY_AUDIENCES,
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
  withKeys,
} from "../../core/policy/index.js";
import { errorKind } from "../../lib/errors.js";
import { builtinProvider, providerConditionKeys, providerStandardKeys } from "../../platforms/index.js";

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

export class ExplainInputError extends errorKind("ERR_EXPLAIN_INPUT", "input") {}

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
  const builtin = builtinProvider(url) !== undefined;
  const key = builtin
    ? url
        .replace(/^https:\/\//i, "")
        .replace(/\/$/, "")
        .toLowerCase()
    : providerKey(url);
  if (key === undefined)
    throw new ExplainInputError(`provider URL ${url} must start with https:// (IAM accepts no other scheme)`);
  // STS refuses the token before any trust policy is read, as the emulator does.
  if (hasAmbiguousAudience(input.claims))
    throw new ExplainInputError(`STS refuses this token: ${MANY_AUDIENCES}`);
  const account = input.account ?? accountOfProvider(input.policy, key) ?? "123456789012";
  const built = webIdentityRequest({
    claims: input.claims,
    providerUrl: url,
    builtin,
    account,
    roleSessionName: input.sessionName,
    providerKeys: providerConditionKeys(key),
    standardKeys: providerStandardKeys(key),
    now: input.now,
    // STS answers over HTTPS only, so AWS's request context has aws:SecureTransport true (as for AssumeRole
    // below); https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport
    secureTransport: true,
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

/** A caller ARN as the principal-matching rules see it (a session's ARN carries no role path). */
export function callerPrincipal(arn: string, roleArn?: string): RequestPrincipal & { type: "AWS" } {
  return assumeRoleRequest({ caller: { arn, ...(roleArn ? { roleArn } : {}) }, roleSessionName: "x", now: 0 })
    .principal;
}

export interface AssumeRoleExplainInput {
  readonly policy: Policy;
  readonly callerArn: string;
  /** The caller role's ARN with its path, when the trust names a role that has a path. */
  readonly callerRoleArn?: string;
  /** The role being assumed: tells a cross-account call. */
  readonly targetRoleArn?: string;
  readonly sessionName: string;
  /**
   * Request parameters and caller facts as context keys, e.g. sts:ExternalId, aws:RequestTag/team (a
   * session tag passed: then sts:TagSession is required too), sts:SourceIdentity, aws:PrincipalTag/team,
   * aws:userid; any other key is set as given.
   */
  readonly context: Readonly<Record<string, string>>;
  readonly now: number;
}

/**
 * Role chaining and cross-account: may this caller call sts:AssumeRole on a role with this trust? The
 * request is built by the same `assumeRoleRequest()` the emulator's STS uses, as at AWS over HTTPS.
 */
export function explainAssumeRole(input: AssumeRoleExplainInput): ExplainReport {
  // Null prototype, so that a context key named "__proto__" is kept as given.
  const extra: Record<string, string> = Object.create(null);
  const tags: { key: string; value: string }[] = [];
  const principalTags: { key: string; value: string }[] = [];
  let externalId: string | undefined;
  let sourceIdentity: string | undefined;
  let userId: string | undefined;
  for (const [key, value] of Object.entries(input.context)) {
    const lower = key.toLowerCase();
    if (lower.startsWith("aws:requesttag/")) tags.push({ key: key.slice("aws:RequestTag/".length), value });
    else if (lower.startsWith("aws:principaltag/"))
      principalTags.push({ key: key.slice("aws:PrincipalTag/".length), value });
    else if (lower === "sts:externalid") externalId = value;
    else if (lower === "sts:sourceidentity") sourceIdentity = value;
    else if (lower === "aws:userid") userId = value;
    else extra[key] = value;
  }
  let request: ReturnType<typeof assumeRoleRequest>;
  try {
    request = assumeRoleRequest({
      caller: {
        arn: input.callerArn,
        ...(input.callerRoleArn ? { roleArn: input.callerRoleArn } : {}),
        ...(userId !== undefined ? { userId } : {}),
        principalTags,
      },
      roleSessionName: input.sessionName,
      externalId,
      sourceIdentity,
      tags,
      now: input.now,
      secureTransport: true,
    });
  } catch (error) {
    if (error instanceof CallerArnError) throw new ExplainInputError(error.message);
    throw error;
  }
  const { principal } = request;
  const context = withKeys(request.context, extra);
  const evaluations = request.actions.map((action) => ({
    action,
    evaluation: evaluate(input.policy, { principal, action, context }),
  }));
  const decision = evaluations.every((e) => e.evaluation.decision === "allow") ? "allow" : "deny";
  const assume = evaluations[0]!.evaluation;
  const notes: string[] = [];
  const targetAccount = input.targetRoleArn ? accountOfArn(input.targetRoleArn) : undefined;
  if (assume.decision === "allow" && assume.allowedVia === "account") {
    notes.push(
      `the trust names account ${principal.account}, which delegates to it: the caller's own identity policies must also allow sts:AssumeRole on this role`,
    );
  } else if (
    assume.decision === "allow" &&
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
    decision,
    kind: "assume-role",
    tokenVerified: false,
    provider: null,
    caller: { arn: principal.arn, account: principal.account, roleArn: principal.roleArn ?? null },
    notes,
    sessionName: input.sessionName,
    requiredActions: request.actions.map((action) => ({ action, why: whyRequiredByCall(action) })),
    actions: evaluations.map((e) => actionReport(e.action, e.evaluation)),
    context: Object.fromEntries(context),
  };
}

function whyRequiredByCall(action: string): string {
  switch (action) {
    case "sts:TagSession":
      return "the call passes session tags (aws:RequestTag/…)";
    case "sts:SetSourceIdentity":
      return "the call sets a source identity (sts:SourceIdentity)";
    default:
      return "always";
  }
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
