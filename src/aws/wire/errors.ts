/**
 * Errors as typed values: every failure the emulator reports carries the AWS error code, its HTTP status
 * and the message AWS uses. Models throw these; the wire layer renders them in the AWS error envelope.
 * Anything else that escapes a handler is a bug and is rendered as InternalFailure (never a stack trace).
 */

import { type ExitClass, KeylessError } from "../../lib/errors.js";

/** HTTP status per AWS error code (IAM and STS service models, `error.httpStatusCode`). */
const STATUS = {
  // STS
  InvalidIdentityToken: 400,
  ExpiredTokenException: 400,
  IDPCommunicationError: 400,
  IDPRejectedClaim: 403,
  MalformedPolicyDocument: 400,
  PackedPolicyTooLarge: 400,
  RegionDisabledException: 403,
  AccessDenied: 403,
  ValidationError: 400,
  InvalidParameterValue: 400,
  InvalidAction: 400,
  InvalidParameterCombination: 400,
  MissingParameter: 400,
  // authentication (query services)
  ExpiredToken: 403,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  // IAM
  InvalidInput: 400,
  EntityAlreadyExists: 409,
  LimitExceeded: 409,
  NoSuchEntity: 404,
  ConcurrentModification: 409,
  DeleteConflict: 409,
  UnmodifiableEntity: 400,
  OpenIdIdpCommunicationError: 400,
  ServiceFailure: 500,
  InternalFailure: 500,
  // common to every AWS query service: https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
  ServiceUnavailable: 503,
  // request-level (emulator choices: the envelope AWS uses for these)
  RequestEntityTooLarge: 413,
  MalformedQueryString: 400,
  MissingAction: 400,
} as const satisfies Record<string, number>;

/** Every error code the emulator can answer with. */
export type AwsErrorCode = keyof typeof STATUS;

export class AwsError extends KeylessError<AwsErrorCode> {
  readonly status: number;
  constructor(
    readonly code: AwsErrorCode,
    message: string,
    status?: number,
  ) {
    super(message);
    this.status = status ?? STATUS[code];
  }

  /** A refusal (4xx) is a negative answer; the service failing (5xx) is a failure outside the caller. */
  get exitClass(): ExitClass {
    return this.status >= 500 ? "outside" : "negative";
  }

  /** `Sender` for 4xx, `Receiver` for 5xx, as AWS's query services say (botocore exposes it as Error.Type). */
  get type(): "Sender" | "Receiver" {
    return this.status >= 500 ? "Receiver" : "Sender";
  }
}

/** Common messages shared by several handlers. */
export const MESSAGES = {
  invalidClientTokenId: "The security token included in the request is invalid.",
  signatureDoesNotMatch:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  missingAuthenticationToken: "Request is missing Authentication Token",
  expiredToken: "The security token included in the request is expired",
} as const;
