import { AwsError } from "./errors.js";

/**
 * AWS's model-driven constraint errors, collected so several violations go out in one message:
 * `2 validation errors detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must
 * …; Value …`. Member names are lower camel case (`roleSessionName`, `durationSeconds`).
 */
export class Violations {
  private readonly items: string[] = [];

  private add(value: string | undefined, member: string, constraint: string): void {
    const shown = value === undefined ? "null" : `'${value}'`;
    this.items.push(`Value ${shown} at '${member}' failed to satisfy constraint: Member must ${constraint}`);
  }

  required(value: string | undefined, member: string): value is string {
    if (value === undefined) {
      this.add(undefined, member, "not be null");
      return false;
    }
    return true;
  }

  /** Length bounds (see below for how characters are counted). */
  length(value: string | undefined, member: string, min: number, max: number): void {
    if (value === undefined) return;
    // AWS's validators are Java and count UTF-16 code units; String.length does the same.
    if (value.length < min) this.add(value, member, `have length greater than or equal to ${min}`);
    else if (value.length > max) this.add(value, member, `have length less than or equal to ${max}`);
  }

  pattern(value: string | undefined, member: string, regex: RegExp, shown: string): void {
    if (value === undefined) return;
    if (!regex.test(value)) this.add(value, member, `satisfy regular expression pattern: ${shown}`);
  }

  range(value: number | undefined, member: string, min: number, max: number): void {
    if (value === undefined) return;
    if (value < min) this.add(String(value), member, `have value greater than or equal to ${min}`);
    else if (value > max) this.add(String(value), member, `have value less than or equal to ${max}`);
  }

  count(values: readonly unknown[] | undefined, member: string, max: number, shown?: string): void {
    if (values === undefined || values.length <= max) return;
    this.add(shown ?? "[…]", member, `have length less than or equal to ${max}`);
  }

  custom(value: string, member: string, constraint: string): void {
    this.add(value, member, constraint);
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  /** Throws the collected violations as one ValidationError (or does nothing when there are none). */
  throwIfAny(): void {
    if (this.items.length === 0) return;
    const n = this.items.length;
    const head = n === 1 ? "1 validation error detected: " : `${n} validation errors detected: `;
    throw new AwsError("ValidationError", head + this.items.join("; "));
  }
}

/** The patterns of the STS and IAM models, as JS regular expressions, with the text AWS prints for them. */
export const PATTERNS = {
  sessionName: { regex: /^[\w+=,.@-]*$/, shown: "[\\w+=,.@-]*" },
  roleName: { regex: /^[\w+=,.@-]+$/, shown: "[\\w+=,.@-]+" },
  policyName: { regex: /^[\w+=,.@-]+$/, shown: "[\\w+=,.@-]+" },
  path: { regex: /^(\/|\/[\u0021-\u007E]+\/)$/, shown: "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)" },
  policyDocument: {
    regex: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/,
    shown: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
  },
  arn: {
    regex: /^[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]+$/u,
    shown: "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+",
  },
  tagKey: { regex: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, shown: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+" },
  tagValue: { regex: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, shown: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*" },
  externalId: { regex: /^[\w+=,.@:/-]*$/, shown: "[\\w+=,.@:\\/-]*" },
  thumbprint: { regex: /^[0-9A-Fa-f]*$/, shown: "[0-9A-Fa-f]*" },
} as const;
