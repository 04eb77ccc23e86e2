import { hasWrittenWildcard } from "../../../core/policy/index.js";
import type { Condition, Statement } from "../../../core/policy/types.js";
import { isLike } from "../admission.js";
import { maxSeverity, type Severity, severityRank } from "../findings.js";
import type { Fix } from "../fixes.js";

/** A finding before it is placed in a file: the rule, how bad, and what to tell the user. */
export interface Raw {
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  /** The fix, machine-readable, when the rule can write it from the policy alone. */
  readonly fix?: Fix;
}

const EXACT_OPERATORS = new Set([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
]);

export const label = (s: Statement): string =>
  s.sid ? `Statement[${s.index}] (Sid "${s.sid}")` : `Statement[${s.index}]`;
export const operatorOf = (c: Condition): string => c.operator.text;
export const quote = (v: string): string => `"${v}"`;

/**
 * Operator hygiene that needs no platform knowledge (OIDC-101, -201, -202, -203). `variables` is whether
 * the policy's Version makes `${*}`/`${?}` escapes (a literal `*`/`?`, neither a wildcard nor a mistake).
 */
export function hygiene(statement: Statement, prefix: string | undefined, variables: boolean): Raw[] {
  const out: Raw[] = [];
  const hasWildcard = (v: string) => hasWrittenWildcard(v, variables);
  const where = label(statement);
  for (const c of statement.conditions) {
    // A fix rewrites the key's test; written only when this is the key's one condition in the statement.
    const sole = soleCondition(statement, c);
    if (EXACT_OPERATORS.has(c.operator.base)) {
      for (const v of c.values.filter(hasWildcard)) {
        out.push({
          rule: "OIDC-101",
          severity: "high",
          message: `${where}: ${operatorOf(c)} ${c.key} ${quote(v)} compares "*"/"?" literally, so no real token matches${c.operator.base.includes("Not") ? " and the negation is always true" : ": the legitimate caller is denied"}. Remove the wildcard, or use ${c.operator.base.replace("Equals", "Like").replace("IgnoreCase", "")} if a pattern is intended.`,
          ...(sole && !c.operator.base.includes("IgnoreCase")
            ? {
                fix: {
                  description: `Use ${c.operator.text.replace("Equals", "Like")}, which treats "*" and "?" as wildcards.`,
                  edits: [
                    {
                      op: "set-condition",
                      operator: c.operator.text.replace("Equals", "Like"),
                      key: c.key,
                      values: c.values,
                    },
                  ],
                },
              }
            : {}),
        });
      }
    }
    if (isLike(c)) {
      for (const v of c.values.filter((v) => !hasWildcard(v))) {
        out.push({
          rule: "OIDC-202",
          severity: "info",
          message: `${where}: ${operatorOf(c)} ${c.key} ${quote(v)} has no wildcard; it is an exact match written as a pattern. Use ${c.operator.base === "StringLike" ? "StringEquals" : "StringNotEquals"}.`,
          ...(sole && !c.values.some(hasWildcard)
            ? {
                fix: {
                  description: `Use ${c.operator.text.replace("Like", "Equals")}.`,
                  edits: [
                    {
                      op: "set-condition",
                      operator: c.operator.text.replace("Like", "Equals"),
                      key: c.key,
                      values: c.values,
                    },
                  ],
                },
              }
            : {}),
        });
      }
    }
    const lower = c.key.toLowerCase();
    if (
      c.operator.set &&
      prefix &&
      (lower === `${prefix}:sub`.toLowerCase() || lower === `${prefix}:aud`.toLowerCase())
    ) {
      out.push({
        rule: "OIDC-201",
        severity: "low",
        message: `${where}: ${operatorOf(c)} on single-valued ${c.key}${c.operator.set === "ForAllValues" ? " is true when the key is absent" : " is needless"}. Remove the ${c.operator.set}: qualifier.`,
        ...(sole
          ? {
              fix: {
                description: `Remove the ${c.operator.set}: qualifier.`,
                edits: [
                  {
                    op: "set-condition",
                    operator: c.operator.text.slice(c.operator.set.length + 1),
                    key: c.key,
                    values: c.values,
                  },
                ],
              },
            }
          : {}),
      });
    }
  }
  const byOperator = new Map<string, Map<string, string>>();
  for (const c of statement.conditions) {
    const keys = byOperator.get(c.operator.text) ?? new Map<string, string>();
    const other = keys.get(c.key.toLowerCase());
    if (other !== undefined && other !== c.key) {
      out.push({
        rule: "OIDC-203",
        severity: "low",
        message: `${where}: ${operatorOf(c)} has both ${other} and ${c.key}; key names are case-insensitive, so both apply (AND) and a reviewer sees only one. Keep one key.`,
      });
    }
    keys.set(c.key.toLowerCase(), c.key);
    byOperator.set(c.operator.text, keys);
  }
  return out;
}

/** Whether `c` is the only condition of the statement on its key (key names are case-insensitive). */
export function soleCondition(statement: Statement, c: Condition): boolean {
  return statement.conditions.filter((x) => x.key.toLowerCase() === c.key.toLowerCase()).length === 1;
}

/** Findings that mean "someone else gets in" (not hygiene, not name recycling). */
const EXPOSURE = new Set([
  "OIDC-001",
  "OIDC-002",
  "OIDC-003",
  "OIDC-004",
  "OIDC-005",
  "OIDC-006",
  "OIDC-007",
  "OIDC-008",
  "OIDC-009",
  "OIDC-010",
  "OIDC-012",
  "OIDC-014",
  "OIDC-015",
]);

/** A statement is weak when it has an exposure finding of medium or more (for OIDC-011). */
export function weakest(raws: readonly Raw[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const r of raws) {
    if (!EXPOSURE.has(r.rule) || severityRank(r.severity) < severityRank("medium")) continue;
    worst = worst ? maxSeverity(worst, r.severity) : r.severity;
  }
  return worst;
}
