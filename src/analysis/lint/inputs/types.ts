import { errorKind } from "../../../lib/errors.js";
import type { PathPart, Position } from "./positions.js";

/** One trust policy found in an input, with where it came from (for findings and suppressions). */
export interface TrustPolicySource {
  /** The file as the user named it (relative paths stay relative), or `emulator:<url>`. */
  readonly file: string;
  /** What holds the policy inside the file: a role name, a resource address, a logical id, or `policy`. */
  readonly location: string;
  /** The policy document: JSON text, or the already-parsed object (Terraform, CloudFormation, get-role). */
  readonly policy: string | object;
  /** The role's MaxSessionDuration, when the input says it (get-role, Terraform, CloudFormation). */
  readonly maxSessionDuration?: number;
  /** Where the document sits in its file (readers set `pointer`, readText adds the text): for SARIF
   * regions and JSON line/column. Absent for the emulator's roles. */
  readonly pointer?: readonly PathPart[];
  /** Line and column (1-based) of a path inside the policy, when the input knows its text (readText sets
   * it; the YAML parser it needs stays out of the console's page, which lints pasted policies). */
  readonly locate?: (path: readonly PathPart[]) => Position | undefined;
  /** Found by walking a directory: a policy IAM refuses is a finding (OIDC-300), not bad input. */
  readonly fromDirectory?: boolean;
  /** The file could not be read as what it looks like (a broken JSON policy or template): lint reports
   * this as an OIDC-300 finding and goes on with the other files. `policy` is then empty. */
  readonly unreadable?: string;
}

/** What CloudFormation's `AWS::AccountId` stands for while linting: the template's own account. */
export const OWN_ACCOUNT_PLACEHOLDER = "000000000000";

/** Bad input: the CLI prints the message on one line and exits 2. */
export class LintInputError extends errorKind("ERR_LINT_INPUT", "input") {}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
