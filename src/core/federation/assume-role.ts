import { errorKind } from "../../lib/errors.js";
import { parseAssumedRoleArn, parseRootArn, parseUserArn, roleArn } from "../aws/arn.js";
import { isoSeconds } from "../aws/time.js";
import { requestContext } from "../policy/context.js";
import type { RequestContext, RequestPrincipal } from "../policy/types.js";

/**
 * The request STS evaluates a role's trust policy against for `sts:AssumeRole` (role chaining, cross-
 * account access): the caller as a principal, the actions the trust must allow, and the request context,
 * with the keys AWS documents for AssumeRole
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_rolesessionname).
 * Built once here for the emulator's STS and for `keyless explain --caller`, so they cannot disagree.
 */

export interface AssumeRoleCaller {
  /** `arn:…:iam::ACCOUNT:root`, `arn:…:iam::ACCOUNT:user/NAME`, `arn:…:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  readonly arn: string;
  /** A role session's role ARN with its path (an assumed-role ARN has none); derived without a path. */
  readonly roleArn?: string;
  /** aws:userid: the account for root, `ROLE_ID:SESSION` for a session, the user ID for a user. */
  readonly userId?: string;
  /** A role session's tags (aws:PrincipalTag/*). */
  readonly principalTags?: readonly { readonly key: string; readonly value: string }[];
  /** A role session's source identity (aws:SourceIdentity). */
  readonly sourceIdentity?: string;
  /** A web-identity session's OIDC provider ARN (aws:FederatedProvider). */
  readonly federatedProvider?: string;
  /** When the caller's session was issued, ms since the epoch (aws:TokenIssueTime). */
  readonly tokenIssuedAt?: number;
  /** Whether the caller's credentials were obtained with MFA (aws:MultiFactorAuthPresent); unknown: absent. */
  readonly multiFactorAuthPresent?: boolean;
}

export interface AssumeRoleInput {
  readonly caller: AssumeRoleCaller;
  readonly roleSessionName: string;
  readonly externalId?: string;
  /** The source identity the new session will carry (the caller's, else the one passed). */
  readonly sourceIdentity?: string;
  /** The new session's tags: inherited transitive ones, then the passed ones (aws:RequestTag/*). */
  readonly tags?: readonly { readonly key: string; readonly value: string }[];
  readonly transitiveTagKeys?: readonly string[];
  /** Milliseconds since the epoch: aws:CurrentTime, aws:EpochTime. */
  readonly now: number;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** aws:SecureTransport: true at AWS (HTTPS only); the emulator over plain HTTP says false. */
  readonly secureTransport?: boolean;
}

export interface AssumeRoleRequest {
  readonly principal: RequestPrincipal & { type: "AWS" };
  /** sts:AssumeRole, plus sts:TagSession when tags are set, plus sts:SetSourceIdentity with a source identity. */
  readonly actions: readonly string[];
  readonly context: RequestContext;
  /** aws:PrincipalType: Account (root), User, AssumedRole. */
  readonly principalType: "Account" | "User" | "AssumedRole";
}

/** `explain --caller` (or a caller record) names no root, user or role-session ARN: bad input, exit 2. */
export class CallerArnError extends errorKind("ERR_CALLER_ARN", "input") {}

/**
 * Builds the AssumeRole request. Throws `CallerArnError` when `caller.arn` is not a root, user or
 * assumed-role ARN.
 */
export function assumeRoleRequest(input: AssumeRoleInput): AssumeRoleRequest {
  const { caller } = input;
  const session = parseAssumedRoleArn(caller.arn);
  const root = session ? undefined : parseRootArn(caller.arn);
  const user = session || root ? undefined : parseUserArn(caller.arn);
  const account = (session ?? root ?? user)?.account;
  if (account === undefined)
    throw new CallerArnError(
      `caller ${caller.arn} is not an IAM principal ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>, arn:aws:iam::<account>:user/<name>, or :root)`,
    );
  const sessionRoleArn = session
    ? (caller.roleArn ?? roleArn({ partition: session.partition, account, name: session.roleName }))
    : undefined;
  const principal: RequestPrincipal & { type: "AWS" } = sessionRoleArn
    ? { type: "AWS", arn: caller.arn, account, roleArn: sessionRoleArn }
    : { type: "AWS", arn: caller.arn, account };
  const principalType = session ? "AssumedRole" : root ? "Account" : "User";
  const tags = input.tags ?? [];
  const transitive = input.transitiveTagKeys ?? [];
  const context = requestContext({
    "aws:PrincipalArn": sessionRoleArn ?? caller.arn,
    "aws:PrincipalAccount": account,
    "aws:PrincipalType": principalType,
    "aws:userid": caller.userId ?? (root ? account : undefined),
    "aws:SourceIdentity": caller.sourceIdentity,
    "aws:FederatedProvider": caller.federatedProvider,
    "aws:TokenIssueTime": caller.tokenIssuedAt === undefined ? undefined : isoSeconds(caller.tokenIssuedAt),
    "aws:MultiFactorAuthPresent": caller.multiFactorAuthPresent,
    ...Object.fromEntries((caller.principalTags ?? []).map((t) => [`aws:PrincipalTag/${t.key}`, t.value])),
    ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.key}`, t.value])),
    "aws:TagKeys": tags.length > 0 ? tags.map((t) => t.key) : undefined,
    "sts:TransitiveTagKeys": transitive.length > 0 ? transitive : undefined,
    "sts:RoleSessionName": input.roleSessionName,
    "sts:ExternalId": input.externalId,
    "sts:SourceIdentity": input.sourceIdentity,
    "aws:CurrentTime": isoSeconds(input.now),
    "aws:EpochTime": Math.floor(input.now / 1000),
    "aws:SourceIp": input.sourceIp,
    "aws:UserAgent": input.userAgent,
    "aws:SecureTransport": input.secureTransport,
  });
  const actions = ["sts:AssumeRole"];
  if (tags.length > 0 || transitive.length > 0) actions.push("sts:TagSession");
  if (input.sourceIdentity !== undefined) actions.push("sts:SetSourceIdentity");
  return { principal, actions, context, principalType };
}
