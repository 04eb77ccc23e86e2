import type { Fix } from "./fixes.js";

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  /** Role name, resource address or logical id inside the file. */
  readonly location: string;
  /** Index of the statement in the policy, or undefined for a finding about the whole policy. */
  readonly statement: number | undefined;
  readonly sid: string | undefined;
  /** The fix as edits of the statement's JSON (see fixes.ts), when the rule can write it. */
  readonly fix?: Fix;
  /** 1-based line and column in `file` of the statement, or of the condition the finding is about (when
   * the input says where: files, not the emulator). */
  readonly line?: number;
  readonly column?: number;
}
