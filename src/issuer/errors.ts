import { type ExitClass, KeylessError } from "../lib/errors.js";

/**
 * A refusal with everything the admin API and token endpoint need to answer in RFC 9457
 * `application/problem+json`: the HTTP status, a stable type slug, a title, and a detail for humans.
 * The service throws these; the HTTP layer renders them; the CLI prints the detail.
 */
export type ProblemType =
  | "bad-request"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "run-not-live"
  | "unknown-audience"
  | "lifetime-too-long"
  | "invalid-claims"
  | "ambiguous-subject"
  | "invalid-template"
  | "invalid-session-tags"
  | "no-signing-key"
  | "signer-unavailable"
  | "database-unavailable"
  | "rate-limited"
  | "internal";

const STATUS: Record<ProblemType, number> = {
  "bad-request": 400,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  "run-not-live": 401,
  "unknown-audience": 400,
  "lifetime-too-long": 422,
  "invalid-claims": 422,
  "ambiguous-subject": 422,
  "invalid-template": 422,
  "invalid-session-tags": 422,
  "no-signing-key": 503,
  "signer-unavailable": 503,
  "database-unavailable": 503,
  "rate-limited": 429,
  internal: 500,
};

const TITLE: Record<ProblemType, string> = {
  "bad-request": "Bad request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  "not-found": "Not found",
  conflict: "Conflict",
  "run-not-live": "The run is no longer live",
  "unknown-audience": "Audience not allowed",
  "lifetime-too-long": "Requested lifetime too high",
  "invalid-claims": "Invalid claims",
  "ambiguous-subject": "Ambiguous subject",
  "invalid-template": "Invalid subject template",
  "invalid-session-tags": "Invalid session tags",
  "no-signing-key": "No signing key",
  "signer-unavailable": "Signing key service unavailable",
  "database-unavailable": "Database unavailable",
  "rate-limited": "Too many requests",
  internal: "Internal error",
};

export class IssuerProblem extends KeylessError<ProblemType> {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.status = STATUS[type];
    this.title = TITLE[type];
  }

  /** The problem type is the code callers switch on. */
  get code(): ProblemType {
    return this.type;
  }

  /** On the CLI (keys, publish) a refusal is the operator's input; a 5xx is the store failing. */
  get exitClass(): ExitClass {
    return this.status >= 500 ? "outside" : "input";
  }
}

export const problem = (type: ProblemType, detail: string, extra?: Record<string, unknown>): IssuerProblem =>
  new IssuerProblem(type, detail, extra);
