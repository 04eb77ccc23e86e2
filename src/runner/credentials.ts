/** Temporary AWS credentials as the runner hands them on, whatever STS they came from. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Milliseconds since the epoch. */
  readonly expiration: number;
}

/** What the credentials belong to, for logs and outputs (never secret). */
export interface AssumedIdentity {
  readonly arn: string;
  readonly assumedRoleId: string | undefined;
}
