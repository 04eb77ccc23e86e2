/**
 * Errors as typed values: every failure the emulator reports carries the AWS error code, its HTTP status
 * and the message AWS uses. Models throw these; the wire layer renders them in the AWS error envelope.
 * Anything else that escapes a handler is a bug and is rendered as InternalFailure (never a stack trace).
 */

/** HTTP status per AWS error code (IAM and STS service models, `error.httpStatusCode`). */
const STATUS: Readonly<Record<string, number>> = {
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
  // request-level (emulator choices: the envelope AWS uses for these)
  RequestEntityTooLarge: 413,
  MalformedQueryString: 400,
};

export class AwsError extends Error {
  readonly status: number;
  constructor(
    readonly code: string,
    message: string,
    status?: number,
  ) {
    super(message);
    this.name = "AwsError";
    this.status = status ?? STATUS[code] ?? 400;
  }

  /** `Sender` for 4xx, `Receiver` for 5xx, as AWS's query services say (botocore exposes it as Error.Type). */
  get type(): "Sender" | "Receiver" {
    return this.status >= 500 ? "Receiver" : "Sender";
  }
}

export const awsError = (code: string, message: string, status?: number) =>
  new AwsError(code, message, status);

/** Common messages shared by several handlers. */
export const MESSAGES = {
  invalidClientTokenId: "The security token included in the request is invalid.",
  signatureDoesNotMatch:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  missingAuthenticationToken: "Request is missing Authentication Token",
  expiredToken: "The security token included in the request is expired",
} as const;
