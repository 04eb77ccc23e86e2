import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  type Credentials,
  GetCallerIdentityCommand,
  STSClient,
  STSServiceException,
} from "@aws-sdk/client-sts";
import type { AssumedIdentity, AwsCredentials } from "./credentials.js";

/**
 * The runner's STS calls, through the AWS SDK for JavaScript v3, so they speak to real AWS and to the
 * emulator alike. The SDK's own retries are switched off: AWS SDKs retry IDPCommunicationError and
 * throttling, but also keep re-sending requests that can never succeed. Here only what can succeed on a
 * second try is retried (throttling, IDPCommunicationError, 5xx, network errors), with jittered
 * exponential backoff; AccessDenied, InvalidIdentityToken, ExpiredTokenException and ValidationError
 * fail at once, so the caller can explain them.
 */
export interface StsTarget {
  readonly region: string;
  /** AWS_ENDPOINT_URL_STS, or the emulator. Undefined: the SDK's regional endpoint. */
  readonly endpoint: string | undefined;
}

export interface WebIdentityExchange {
  readonly token: string;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds?: number;
  readonly policy?: string;
  readonly policyArns?: readonly string[];
}

export interface ChainHop {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly externalId?: string;
  readonly durationSeconds?: number;
  readonly policy?: string;
  readonly policyArns?: readonly string[];
}

export interface StsResult {
  readonly credentials: AwsCredentials;
  readonly identity: AssumedIdentity;
}

/** An STS refusal, with the AWS error code (AccessDenied, InvalidIdentityToken, …) and message. */
export class StsError extends Error {
  /** For a refused web-identity exchange: what was sent, so the refusal can be explained. */
  exchange: { token: string; roleArn: string; sessionName: string } | undefined;
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly attempts: number,
  ) {
    super(message);
    this.name = "StsError";
  }
}

const RETRYABLE_CODES = new Set([
  "IDPCommunicationError",
  "IDPCommunicationErrorException",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "InternalFailure",
  "ServiceUnavailable",
  "RequestTimeout",
]);
const RETRYABLE_NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "TimeoutError",
]);

export function classify(error: unknown): { code: string; message: string; retryable: boolean } {
  if (error instanceof STSServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    return {
      code: error.name,
      message: error.message,
      retryable: RETRYABLE_CODES.has(error.name) || status >= 500,
    };
  }
  const e = error as { code?: string; name?: string; message?: string };
  const code = e.code ?? e.name ?? "Error";
  return { code, message: e.message ?? String(error), retryable: RETRYABLE_NETWORK.has(code) };
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const defaultRetry: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

async function withRetries<T>(retry: RetryPolicy, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const { code, message, retryable } = classify(error);
      if (!retryable || attempt >= retry.attempts) throw new StsError(code, message, retryable, attempt);
      const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      await retry.sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }
}

function client(target: StsTarget, credentials?: AwsCredentials): STSClient {
  return new STSClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    maxAttempts: 1,
    ...(credentials
      ? {
          credentials: {
            accessKeyId: credentials.accessKeyId,
            secretAccessKey: credentials.secretAccessKey,
            sessionToken: credentials.sessionToken,
          },
        }
      : {}),
  });
}

function toCredentials(c: Credentials | undefined): AwsCredentials {
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new StsError("IncompleteResponse", "STS answered without complete credentials", false, 1);
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration.getTime(),
  };
}

export async function assumeRoleWithWebIdentity(
  target: StsTarget,
  exchange: WebIdentityExchange,
  retry = defaultRetry,
): Promise<StsResult> {
  const sts = client(target);
  try {
    const out = await withRetries(retry, () =>
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: exchange.roleArn,
          RoleSessionName: exchange.sessionName,
          WebIdentityToken: exchange.token,
          DurationSeconds: exchange.durationSeconds,
          Policy: exchange.policy,
          PolicyArns: exchange.policyArns?.map((arn) => ({ arn })),
        }),
      ),
    );
    return {
      credentials: toCredentials(out.Credentials),
      identity: { arn: out.AssumedRoleUser?.Arn ?? "", assumedRoleId: out.AssumedRoleUser?.AssumedRoleId },
    };
  } finally {
    sts.destroy();
  }
}

export async function assumeRole(
  target: StsTarget,
  from: AwsCredentials,
  hop: ChainHop,
  retry = defaultRetry,
): Promise<StsResult> {
  const sts = client(target, from);
  try {
    const out = await withRetries(retry, () =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: hop.roleArn,
          RoleSessionName: hop.sessionName,
          ExternalId: hop.externalId,
          DurationSeconds: hop.durationSeconds,
          Policy: hop.policy,
          PolicyArns: hop.policyArns?.map((arn) => ({ arn })),
        }),
      ),
    );
    return {
      credentials: toCredentials(out.Credentials),
      identity: { arn: out.AssumedRoleUser?.Arn ?? "", assumedRoleId: out.AssumedRoleUser?.AssumedRoleId },
    };
  } finally {
    sts.destroy();
  }
}

export async function getCallerIdentity(
  target: StsTarget,
  credentials: AwsCredentials,
  retry = defaultRetry,
): Promise<{ account: string; arn: string }> {
  const sts = client(target, credentials);
  try {
    const out = await withRetries(retry, () => sts.send(new GetCallerIdentityCommand({})));
    return { account: out.Account ?? "", arn: out.Arn ?? "" };
  } finally {
    sts.destroy();
  }
}
