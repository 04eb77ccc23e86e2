/**
 * The IAM policy language as typed values. `parsePolicy` turns JSON text into these (or a
 * MalformedPolicyDocument error); `evaluate` decides a request against them and explains why.
 * Nothing here does I/O: the engine could be published on its own.
 */

export type Effect = "Allow" | "Deny";

/** A parsed principal block. `"*"` is kept apart from `{AWS: ["*"]}` because AWS treats them differently
 * for web-identity callers (`"AWS": "*"` does not admit an OIDC caller). */
export type PrincipalBlock =
  | { readonly kind: "any" }
  | { readonly kind: "map"; readonly entries: ReadonlyMap<PrincipalType, readonly string[]> };

export type PrincipalType = "AWS" | "Federated" | "Service" | "CanonicalUser";

/** A condition operator, split into its parts: `ForAnyValue:StringLikeIfExists` → set ForAnyValue,
 * base StringLike, ifExists true. */
export interface ConditionOperator {
  readonly text: string;
  readonly set: "ForAllValues" | "ForAnyValue" | undefined;
  readonly base: BaseOperator;
  readonly ifExists: boolean;
}

export type BaseOperator =
  | "StringEquals"
  | "StringNotEquals"
  | "StringEqualsIgnoreCase"
  | "StringNotEqualsIgnoreCase"
  | "StringLike"
  | "StringNotLike"
  | "NumericEquals"
  | "NumericNotEquals"
  | "NumericLessThan"
  | "NumericLessThanEquals"
  | "NumericGreaterThan"
  | "NumericGreaterThanEquals"
  | "DateEquals"
  | "DateNotEquals"
  | "DateLessThan"
  | "DateLessThanEquals"
  | "DateGreaterThan"
  | "DateGreaterThanEquals"
  | "Bool"
  | "BinaryEquals"
  | "IpAddress"
  | "NotIpAddress"
  | "ArnEquals"
  | "ArnLike"
  | "ArnNotEquals"
  | "ArnNotLike"
  | "Null";

/** One `operator: { key: values }` pair of a Condition block, flattened: the unit that is AND-ed. */
export interface Condition {
  readonly operator: ConditionOperator;
  /** The key as written in the policy (names are matched case-insensitively). */
  readonly key: string;
  /** Policy values as strings (numbers and booleans in the JSON are compared by their text). */
  readonly values: readonly string[];
}

export interface Statement {
  /** Position in the Statement array (0-based), for traces and lint findings. */
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly principal: { readonly negated: boolean; readonly block: PrincipalBlock } | undefined;
  readonly action: { readonly negated: boolean; readonly patterns: readonly string[] } | undefined;
  readonly resource: { readonly negated: boolean; readonly patterns: readonly string[] } | undefined;
  readonly conditions: readonly Condition[];
}

export interface Policy {
  readonly version: "2012-10-17" | "2008-10-17" | undefined;
  readonly id: string | undefined;
  readonly statements: readonly Statement[];
}

/** Values of one request-context key. Multivalued keys (aws:TagKeys, <P>:amr, an array aud) carry
 * several; a single-valued key carries one. An empty array means "present with no values", which the
 * set operators treat like absence. */
export type ContextValues = readonly string[];

/** The request context: key names are normalised to lower case by `context()`; look-ups use lower case. */
export type RequestContext = ReadonlyMap<string, ContextValues>;

/** The principal making the request, as the principal-matching rules need it. */
export type RequestPrincipal =
  | { readonly type: "Federated"; readonly id: string }
  | {
      readonly type: "AWS";
      /** The caller's ARN: `arn:aws:iam::<acct>:root`, `…:user/x`, or `arn:aws:sts::<acct>:assumed-role/R/s`. */
      readonly arn: string;
      readonly account: string;
      /** For a role session, the role's ARN (with path): a trust naming the role admits its sessions. */
      readonly roleArn?: string;
    }
  | { readonly type: "Service"; readonly id: string }
  | { readonly type: "Anonymous" };

export interface Request {
  readonly principal: RequestPrincipal;
  readonly action: string;
  readonly resource?: string;
  readonly context: RequestContext;
}
