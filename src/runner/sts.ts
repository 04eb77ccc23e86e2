import {
  type AssumedRoleUser,
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  type Credentials,
  ExpiredTokenException,
  IDPCommunicationErrorException,
  IDPRejectedClaimException,
  InvalidIdentityTokenException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  STSClient,
  STSServiceException,
} from "@aws-sdk/client-sts";
import { isThrottlingError, isTransientError } from "@smithy/core/retry";
import { type ExitClass, inputError, KeylessError } from "../lib/errors.js";
import type { AssumedIdentity, AwsCredentials } from "./credentials.js";

/**
 * The runner's STS calls, through the AWS SDK for JavaScript v3, so they speak to real AWS and to the
 * emulator alike. Retries are the SDK's own "standard" strategy
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): it retries throttling,
 * 5xx, network errors and the errors STS's model marks retryable (IDPCommunicationError), with jittered
 * exponential backoff, and never AccessDenied, InvalidIdentityToken or ExpiredToken, which fail at once
 * so the caller can explain them. `AWS_MAX_ATTEMPTS`, when set, is the SDK's to honour.
 */
export interface StsTarget {
  readonly region: string;
  /** AWS_ENDPOINT_URL_STS, or the emulator. Undefined: the SDK's regional endpoint. */
  readonly endpoint: string | undefined;
}

/** What AssumeRoleWithWebIdentity and AssumeRole both take: the role, the session, its limits. */
export interface SessionRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  /** Seconds. */
  readonly durationSeconds?: number;
  /** A session policy (JSON text). */
  readonly policy?: string;
  /** Managed session policies' ARNs. */
  readonly policyArns?: readonly string[];
}

export interface WebIdentityExchange extends SessionRequest {
  readonly token: string;
}

export interface ChainHop extends SessionRequest {
  readonly externalId?: string;
}

export interface StsResult {
  readonly credentials: AwsCredentials;
  readonly identity: AssumedIdentity;
}

/** The runner's failures to get credentials from STS: refused (exit 1), or STS unusable (exit 3). */
export type StsErrorCode = "ERR_STS_REFUSED" | "ERR_STS_INPUT" | "ERR_STS_FAILED";

/**
 * STS said no, or could not be asked. `awsCode` is STS's own error code (AccessDenied,
 * InvalidIdentityToken, …, see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html#API_AssumeRoleWithWebIdentity_Errors),
 * `attempts` how many requests the SDK sent. A refused web-identity exchange carries what was sent,
 * so the CLI can ask the analyst to explain it.
 */
export class StsError extends KeylessError<StsErrorCode> {
  /** For a refused web-identity exchange: what was sent, so the refusal can be explained. */
  exchange: { token: string; roleArn: string; sessionName: string } | undefined;
  readonly exitClass: ExitClass;
  constructor(
    readonly code: StsErrorCode,
    readonly awsCode: string,
    message: string,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.exitClass = code === "ERR_STS_REFUSED" ? "negative" : code === "ERR_STS_INPUT" ? "input" : "outside";
  }
}

/**
 * STS's refusals by the SDK's exception classes (the wire code is the class name without
 * "Exception", except ExpiredTokenException and RegionDisabledException, which keep it). AccessDenied
 * has no class in STS's model: the SDK reports it as an STSServiceException named after the code.
 */
const REFUSALS: ReadonlyArray<
  readonly [new (...args: never[]) => STSServiceException, string, StsErrorCode]
> = [
  [InvalidIdentityTokenException, "InvalidIdentityToken", "ERR_STS_REFUSED"],
  [ExpiredTokenException, "ExpiredTokenException", "ERR_STS_REFUSED"],
  [IDPRejectedClaimException, "IDPRejectedClaim", "ERR_STS_REFUSED"],
  [RegionDisabledException, "RegionDisabledException", "ERR_STS_REFUSED"],
  [MalformedPolicyDocumentException, "MalformedPolicyDocument", "ERR_STS_INPUT"],
  [PackedPolicyTooLargeException, "PackedPolicyTooLarge", "ERR_STS_INPUT"],
  [IDPCommunicationErrorException, "IDPCommunicationError", "ERR_STS_FAILED"],
];

/**
 * The runner's view of what the SDK threw, once its retries are spent: "STS refused: <code>: <message>"
 * for an answer, "cannot get credentials from STS at <endpoint>: …" when STS could not be asked.
 */
export function stsError(error: unknown, target: StsTarget): StsError {
  if (error instanceof StsError) return error;
  const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
  const make = (code: StsErrorCode, awsCode: string) => {
    const timedOut = (error as Error | undefined)?.name === "TimeoutError";
    const text = timedOut
      ? `no answer within ${stsTimeoutMs() / 1000} s (KEYLESS_STS_TIMEOUT)`
      : error instanceof Error
        ? error.message
        : String(error);
    const after = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    const message =
      code === "ERR_STS_FAILED"
        ? `cannot get credentials from STS at ${target.endpoint ?? `the AWS endpoint of ${target.region}`}: ${awsCode}: ${text}${after}`
        : `STS refused: ${awsCode}: ${text}${after}`;
    return new StsError(code, awsCode, message, attempts, { cause: error });
  };
  for (const [type, awsCode, code] of REFUSALS) if (error instanceof type) return make(code, awsCode);
  if (error instanceof STSServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    // AccessDenied (403) and the query protocol's own 4xx (ValidationError, …) are answers, not failures;
    // throttling is STS too busy to answer (a 400 on the query protocol), so a failure outside, like 5xx.
    const code =
      error.name === "AccessDenied"
        ? "ERR_STS_REFUSED"
        : status >= 500 || status === 429 || outlastedRetries(error)
          ? "ERR_STS_FAILED"
          : "ERR_STS_INPUT";
    return make(code, error.name);
  }
  // No answer at all: the network, a wrong --endpoint-url, a proxy.
  return make("ERR_STS_FAILED", (error as { code?: string }).code ?? (error as Error).name ?? "Error");
}

/**
 * Whether the SDK's standard retry strategy retried this error as throttling or as transient, with the
 * SDK's own classification (@smithy/core's retry module, the lists the strategy itself uses). Once the
 * retries are spent such an error says "STS is overloaded", not "the request was wrong".
 */
const outlastedRetries = (error: STSServiceException): boolean => {
  // The exception classes type `cause` as unknown, the classifier as an Error; it reads name and $metadata.
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  return isThrottlingError(sdkError) || isTransientError(sdkError);
};

/**
 * Attempts per call when `AWS_MAX_ATTEMPTS` is unset, the SDK's standard retry mode's default being 3: a
 * job may wait out a short outage. The token request of a request-URL source uses the same.
 */
export const MAX_ATTEMPTS = 6;

/**
 * Seconds an attempt may take, from connecting to the last byte of the answer (`KEYLESS_STS_TIMEOUT`,
 * default 30). The SDK for JavaScript waits forever by default, so an endpoint that accepts the
 * connection and never answers (a black-holing proxy or firewall) would hang a job and, under `exec`,
 * its refreshes; botocore bounds both phases (60 s each). A timed-out attempt is retried like a network
 * error. Throws `inputError` for a value that is not a positive number.
 */
export function stsTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.KEYLESS_STS_TIMEOUT;
  if (value === undefined || value === "") return 30_000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw inputError(`KEYLESS_STS_TIMEOUT=${value}: expected a positive number of seconds`);
  return Math.round(seconds * 1000);
}

function client(target: StsTarget, credentials?: AwsCredentials): STSClient {
  const timeout = stsTimeoutMs();
  return new STSClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    requestHandler: { connectionTimeout: timeout, requestTimeout: timeout, throwOnRequestTimeout: true },
    retryMode: "standard",
    ...(process.env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: MAX_ATTEMPTS }),
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
    throw new StsError(
      "ERR_STS_FAILED",
      "IncompleteResponse",
      "STS answered without complete credentials",
      1,
    );
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration.getTime(),
  };
}

/** The request fields AssumeRoleWithWebIdentity and AssumeRole share, in STS's parameter names. */
function sessionParameters(r: SessionRequest) {
  return {
    RoleArn: r.roleArn,
    RoleSessionName: r.sessionName,
    DurationSeconds: r.durationSeconds,
    Policy: r.policy,
    PolicyArns: r.policyArns?.map((arn) => ({ arn })),
  };
}

/**
 * One STS call on a client of its own (signed with `from` when given, destroyed afterwards): the SDK's
 * errors, once its retries are spent, become an `StsError` (see `stsError`); the answer becomes
 * credentials (epoch milliseconds expiry) and the assumed role's identity.
 */
async function assume(
  target: StsTarget,
  from: AwsCredentials | undefined,
  call: (sts: STSClient) => Promise<{ Credentials?: Credentials; AssumedRoleUser?: AssumedRoleUser }>,
): Promise<StsResult> {
  const sts = client(target, from);
  try {
    let out: Awaited<ReturnType<typeof call>>;
    try {
      out = await call(sts);
    } catch (error) {
      throw stsError(error, target);
    }
    return {
      credentials: toCredentials(out.Credentials),
      identity: { arn: out.AssumedRoleUser?.Arn ?? "", assumedRoleId: out.AssumedRoleUser?.AssumedRoleId },
    };
  } finally {
    sts.destroy();
  }
}

/**
 * AssumeRoleWithWebIdentity, unsigned (the token is the proof):
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html.
 * Throws `StsError` (refused: exit 1, malformed request: 2, STS unreachable or failing: 3).
 */
export async function assumeRoleWithWebIdentity(
  target: StsTarget,
  exchange: WebIdentityExchange,
): Promise<StsResult> {
  return assume(target, undefined, (sts) =>
    sts.send(
      new AssumeRoleWithWebIdentityCommand({
        ...sessionParameters(exchange),
        WebIdentityToken: exchange.token,
      }),
    ),
  );
}

/**
 * AssumeRole signed with the previous hop's credentials (role chaining):
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html. Throws `StsError` as above.
 */
export async function assumeRole(target: StsTarget, from: AwsCredentials, hop: ChainHop): Promise<StsResult> {
  return assume(target, from, (sts) =>
    sts.send(new AssumeRoleCommand({ ...sessionParameters(hop), ExternalId: hop.externalId })),
  );
}
