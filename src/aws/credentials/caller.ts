import { assumedRoleArn as formatAssumedRoleArn, roleArn, rootArn } from "../../core/aws/arn.js";

/**
 * Who signed a request. Static test credentials name an account's root; temporary credentials carry a
 * role session (sealed in their session token, see session-token.ts).
 */
export interface SessionTag {
  readonly key: string;
  readonly value: string;
}

/** A role session as issued by AssumeRole / AssumeRoleWithWebIdentity: everything later requests need. */
export interface RoleSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly account: string;
  readonly roleName: string;
  readonly rolePath: string;
  readonly roleId: string;
  readonly sessionName: string;
  /** Epoch seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly tags: readonly SessionTag[];
  readonly transitiveTagKeys: readonly string[];
  readonly sourceIdentity?: string;
  /** The IAM OIDC provider ARN for web-identity sessions (aws:FederatedProvider). */
  readonly federatedProvider?: string;
  /** A web-identity session's token subject (`sub`), for the decision log's userIdentity. */
  readonly webIdentitySubject?: string;
  /** The session policy passed as `Policy` (text), evaluated on every call the session makes. */
  readonly sessionPolicy?: string;
  /** The managed policies passed as `PolicyArns`, evaluated (their default version) on every call. */
  readonly sessionPolicyArns?: readonly string[];
}

export type Caller =
  | { readonly kind: "root"; readonly account: string }
  | { readonly kind: "session"; readonly session: RoleSession };

export const callerAccount = (c: Caller): string => (c.kind === "root" ? c.account : c.session.account);

export const roleArnOf = (s: Pick<RoleSession, "account" | "rolePath" | "roleName">): string =>
  roleArn({ account: s.account, path: s.rolePath, name: s.roleName });

/**
 * The assumed-role ARN drops the role's path
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
 */
export const assumedRoleArn = (s: Pick<RoleSession, "account" | "roleName" | "sessionName">): string =>
  formatAssumedRoleArn({ account: s.account, roleName: s.roleName, sessionName: s.sessionName });

export function callerIdentity(c: Caller): { UserId: string; Account: string; Arn: string } {
  if (c.kind === "root") return { UserId: c.account, Account: c.account, Arn: rootArn(c.account) };
  const s = c.session;
  return { UserId: `${s.roleId}:${s.sessionName}`, Account: s.account, Arn: assumedRoleArn(s) };
}
