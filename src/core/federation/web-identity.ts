import { isoSeconds } from "../aws/time.js";
import {
  decide,
  type Evaluation,
  evaluate,
  type Policy,
  type RequestContext,
  type RequestPrincipal,
} from "../policy/index.js";
import { parseProviderArn, providerArn, providerKey } from "./provider.js";
import { hasTagsClaim, type SessionTags, sessionTagsFromClaims, type TagError } from "./session-tags.js";

/**
 * The request STS evaluates for `AssumeRoleWithWebIdentity`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif): the
 * principal is the IAM provider that matched `iss`, and the context holds the provider's keys
 * (`<P>:aud`, `:sub`, …), the session name, tags and global keys. Custom claims are NOT keys: a
 * condition on `<P>:repository` sees an absent key, except the provider-specific keys AWS documents for
 * some issuers, which the caller passes in (`providerKeys`: the platform records hold them, and the
 * policy engine stays platform-free).
 */
export const SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity";
export const ROLES_CLAIM = "https://aws.amazon.com/roles";

export interface WebIdentityInput {
  /** The token's payload (decoded JSON). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The IAM provider's ARN; derived from the provider URL and `account` when not given. */
  readonly providerArn?: string;
  /** The provider URL (= the token's `iss` when they match); derived from providerArn when not given. */
  readonly providerUrl?: string;
  /**
   * One of AWS's built-in providers (accounts.google.com, cognito-identity.amazonaws.com, …): no IAM
   * provider; the principal a trust policy names is the bare host, which is also the key prefix
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html). `iss` may then lack
   * `https://` (Google writes `accounts.google.com` too).
   */
  readonly builtin?: boolean;
  readonly account?: string;
  readonly roleArn?: string;
  readonly roleSessionName: string;
  /** Keys AWS derives for this provider beyond aud/sub/oaud/amr/azp/email (trust policy only), e.g.
   * GitHub's `repository_id`: a key named like its top-level claim, or the key and the claim's path in
   * the payload (Google's `google/organization_number`); default none. */
  readonly providerKeys?: readonly (string | { readonly key: string; readonly claim: readonly string[] })[];
  /** The generic keys (aud, oaud, azp, sub, amr, email) the provider has; default all six. AWS's
   * built-in providers have fewer (Facebook none). */
  readonly standardKeys?: readonly string[];
  /** Milliseconds since the epoch: aws:CurrentTime, aws:EpochTime. */
  readonly now: number;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly region?: string;
  readonly secureTransport?: boolean;
}

export interface WebIdentityRequest {
  readonly principal: RequestPrincipal & { type: "Federated" };
  /** The provider key, e.g. `login.app.env0.com/`. */
  readonly providerKey: string;
  /** Every action the trust policy must allow: AssumeRoleWithWebIdentity, plus TagSession when the
   * token carries tags, plus SetSourceIdentity when it carries a source identity. */
  readonly actions: readonly string[];
  readonly context: RequestContext;
  /** What `<P>:aud` holds: `azp` when present, else the single `aud`. */
  readonly audience: string | undefined;
  readonly tags: SessionTags | undefined;
  readonly sourceIdentity: string | undefined;
}

export type WebIdentityResult =
  | { ok: true; request: WebIdentityRequest }
  | { ok: false; error: TagError | { code: "InvalidInput"; message: string } };

/** STS's refusal of a token with several `aud` values and no `azp` (InvalidIdentityToken). */
export const MANY_AUDIENCES =
  "Token audience contains more than one audience while authorized party is not present";

/**
 * Whether STS refuses the token's audience shape: more than one `aud` and no `azp` says nothing about
 * which audience the token is for (https://openid.net/specs/openid-connect-core-1_0.html#IDToken: azp is
 * the party the token was issued to when `aud` has several). The emulator checks it with the token's
 * other claims and explain before it evaluates, so both refuse the same tokens; webIdentityRequest itself
 * builds the keys of any token.
 */
export function hasAmbiguousAudience(claims: Readonly<Record<string, unknown>>): boolean {
  return (asStrings(claims.aud) ?? []).length > 1 && asString(claims.azp) === undefined;
}

const asString = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
const asStrings = (v: unknown): string[] | undefined =>
  Array.isArray(v)
    ? v.map(asString).filter((s): s is string => s !== undefined)
    : asString(v) !== undefined
      ? [asString(v)!]
      : undefined;

/** The value at a path of the token's payload (undefined when any step is missing). */
function claimAt(claims: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let at: unknown = claims;
  for (const step of path) {
    if (at === null || typeof at !== "object" || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

export function webIdentityRequest(input: WebIdentityInput): WebIdentityResult {
  const arnParts = input.providerArn ? parseProviderArn(input.providerArn) : undefined;
  if (input.providerArn && !arnParts)
    return {
      ok: false,
      error: { code: "InvalidInput", message: `${input.providerArn} is not an OIDC provider ARN` },
    };
  const url = input.providerUrl ?? arnParts?.url;
  const key =
    url === undefined
      ? undefined
      : input.builtin
        ? url
            .replace(/^https:\/\//i, "")
            .replace(/\/$/, "")
            .toLowerCase()
        : providerKey(url);
  if (url === undefined || key === undefined) {
    return {
      ok: false,
      error: { code: "InvalidInput", message: `provider URL ${url ?? "(none)"} must start with https://` },
    };
  }
  const account = arnParts?.account ?? input.account ?? "123456789012";
  const arn = input.builtin ? key : (input.providerArn ?? providerArn(account, url)!);

  const { claims } = input;
  const tagsResult = sessionTagsFromClaims(claims);
  if (!tagsResult.ok) return { ok: false, error: tagsResult.error };
  const tags = tagsResult.tags;
  const sourceIdentity = asString(claims[SOURCE_IDENTITY_CLAIM]);

  const aud = asStrings(claims.aud) ?? [];
  const azp = asString(claims.azp);
  const audience = azp ?? (aud.length === 1 ? aud[0] : undefined);
  const context = new Map<string, readonly string[]>();
  const set = (name: string, values: readonly string[] | string | undefined) => {
    if (values === undefined) return;
    context.set(name.toLowerCase(), typeof values === "string" ? [values] : values);
  };
  const standard = new Set(input.standardKeys ?? ["aud", "oaud", "azp", "sub", "amr", "email"]);
  const generic = (name: string, values: readonly string[] | string | undefined) =>
    standard.has(name) ? set(`${key}:${name}`, values) : undefined;
  generic("aud", azp !== undefined ? [azp] : aud);
  generic("oaud", aud);
  generic("azp", azp);
  generic("sub", asString(claims.sub));
  generic("amr", asStrings(claims.amr));
  generic("email", asString(claims.email));
  for (const entry of input.providerKeys ?? []) {
    const { key: name, claim } = typeof entry === "string" ? { key: entry, claim: [entry] } : entry;
    set(`${key}:${name}`, asString(claimAt(claims, claim)));
  }

  set("sts:RoleSessionName", input.roleSessionName);
  set("sts:SourceIdentity", sourceIdentity);
  if (tags) {
    for (const { key: tagKey, value } of tags.tags) set(`aws:RequestTag/${tagKey}`, value);
    set(
      "aws:TagKeys",
      tags.tags.map((t) => t.key),
    );
    set("sts:TransitiveTagKeys", tags.transitiveKeys);
  }
  if (claims[ROLES_CLAIM] !== undefined && claims[ROLES_CLAIM] !== null && input.roleArn) {
    const roles = asStrings(claims[ROLES_CLAIM])?.flatMap((r) => r.split(";").map((s) => s.trim())) ?? [];
    set("sts:RoleAuthorizedByIdp", String(roles.includes(input.roleArn)));
  }
  set("aws:FederatedProvider", arn);
  set("aws:PrincipalAccount", account);
  set("aws:PrincipalType", "User");
  set("aws:userid", arn);
  set("aws:CurrentTime", isoSeconds(input.now));
  set("aws:EpochTime", String(Math.floor(input.now / 1000)));
  set("aws:SecureTransport", input.secureTransport === undefined ? undefined : String(input.secureTransport));
  set("aws:SourceIp", input.sourceIp);
  set("aws:UserAgent", input.userAgent);
  set("aws:RequestedRegion", input.region);

  const actions = ["sts:AssumeRoleWithWebIdentity"];
  if (hasTagsClaim(claims)) actions.push("sts:TagSession");
  if (sourceIdentity !== undefined) actions.push("sts:SetSourceIdentity");
  return {
    ok: true,
    request: {
      principal: { type: "Federated", id: arn },
      providerKey: key,
      actions,
      context,
      audience,
      tags,
      sourceIdentity,
    },
  };
}

/** One action's evaluation within a web-identity authorization. */
export interface ActionEvaluation {
  readonly action: string;
  readonly evaluation: Evaluation;
}

/** Whether the trust policy allows every required action, with the trace of each (for explain). */
export function explainWebIdentity(
  policy: Policy,
  request: WebIdentityRequest,
): { decision: "allow" | "deny"; actions: ActionEvaluation[] } {
  const actions = request.actions.map((action) => ({
    action,
    evaluation: evaluate(policy, { principal: request.principal, action, context: request.context }),
  }));
  return { decision: actions.every((a) => a.evaluation.decision === "allow") ? "allow" : "deny", actions };
}

/** The fast path for the emulator: allow only if every required action is allowed. */
export function authorizeWebIdentity(policy: Policy, request: WebIdentityRequest): boolean {
  return request.actions.every(
    (action) =>
      decide(policy, { principal: request.principal, action, context: request.context }) === "allow",
  );
}
