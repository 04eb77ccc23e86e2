import { KeylessError } from "../../lib/errors.js";

/**
 * A policy IAM would refuse. `awsMessage` is IAM's own text (what the emulator puts in the
 * MalformedPolicyDocument error, so clients see what AWS says); `detail` says exactly what and where,
 * for people (explain, lint), since AWS's texts are often as vague as "Syntax errors in policy.".
 */
export class PolicyError extends KeylessError<"MalformedPolicyDocument"> {
  readonly code = "MalformedPolicyDocument";
  readonly exitClass = "input";
  constructor(
    readonly awsMessage: string,
    readonly detail?: string,
  ) {
    super(detail ? `${awsMessage} (${detail})` : awsMessage);
  }
}

/** IAM's messages, in one place so that the emulator and the tests share the exact strings. */
export const IAM_MESSAGES = {
  invalidJson: "This policy contains invalid Json",
  syntax: "Syntax errors in policy.",
  version: "The policy must contain a valid version string",
  statementEmpty: "Could not parse the policy: Statement is empty!",
  sidNotUnique: "The Statement Ids in the policy are not unique",
  sidCharset:
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
  missingField: (field: string) => `Missing required field ${field}`,
  actionVendor: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
  actionColons: "Actions/Condition can contain only one colon.",
  trustResource: "Has prohibited field Resource",
  trustNotResource: "AssumeRole policy must not contain resources.",
  trustNotPrincipal: "AssumeRole policy must not contain NotPrincipal field.",
  trustActions: "AssumeRole policy may only specify STS AssumeRole actions.",
  federated: "Federated principals must be valid domain names or SAML metadata ARNs",
  invalidPrincipal: (type: string, value: string) => `Invalid principal in policy: "${type}":"${value}"`,
  identityPrincipal: "Policy document should not specify a principal.",
  identityResource: "Policy statement must contain resources.",
} as const;
