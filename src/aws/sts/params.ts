import type { RoleSession } from "../credentials/caller.js";

/** What STS's two assume calls take, as parsed from the wire (src/aws/sts/handlers.ts), and what they
 * return to it: the sealed session and its token. Field names follow the API's parameters
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). */
export interface IssuedCredentials {
  readonly session: RoleSession;
  readonly sessionToken: string;
  readonly packedPolicySize: number | undefined;
}

export interface WebIdentityResult extends IssuedCredentials {
  readonly providerArn: string;
  readonly audience: string;
  readonly subject: string;
}

export interface WebIdentityParams {
  roleArn: string | undefined;
  roleSessionName: string | undefined;
  webIdentityToken: string | undefined;
  providerId: string | undefined;
  durationSeconds: number | undefined;
  policy: string | undefined;
  policyArns: readonly string[] | undefined;
  sourceIp?: string;
  userAgent?: string;
  /** The request came over TLS: aws:SecureTransport (false when absent). */
  secureTransport?: boolean;
}

export interface AssumeRoleParams {
  roleArn: string | undefined;
  roleSessionName: string | undefined;
  durationSeconds: number | undefined;
  policy: string | undefined;
  policyArns: readonly string[] | undefined;
  tags: readonly { Key: string; Value: string }[] | undefined;
  transitiveTagKeys: readonly string[] | undefined;
  externalId: string | undefined;
  sourceIdentity: string | undefined;
  serialNumber: string | undefined;
  tokenCode: string | undefined;
  sourceIp?: string;
  userAgent?: string;
  /** The request came over TLS: aws:SecureTransport (false when absent). */
  secureTransport?: boolean;
}
