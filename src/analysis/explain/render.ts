import type { ConditionTrace } from "../../core/policy/index.js";
import type { ExplainReport, StatementReport } from "./report.js";

/**
 * The report in words a person can act on: the verdict first, then for each required action the
 * statements and, per condition, what the token has, what the policy wants, and the outcome.
 */
export function renderExplanation(report: ExplainReport): string {
  const lines: string[] = [];
  const verdict = report.decision === "allow" ? "ALLOW" : "DENY";
  const denied = report.actions.filter((a) => a.decision === "deny").map((a) => a.action);
  lines.push(
    report.decision === "allow"
      ? `${verdict}: the ${report.kind === "web-identity" ? "token" : "caller"} may assume the role (every required action is allowed)`
      : `${verdict}: ${denied.join(" and ")} ${denied.length > 1 ? "are" : "is"} not allowed, so AWS answers AccessDenied`,
  );
  if (report.provider) {
    lines.push(
      "note: the token was decoded without verifying its signature; this judges the trust policy only",
    );
    lines.push(`provider: ${report.provider.url} (${report.provider.arn})`);
  }
  if (report.caller) {
    lines.push(
      `caller: ${report.caller.arn}${report.caller.roleArn ? ` (a session of ${report.caller.roleArn})` : ""}`,
    );
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push(`session name: ${report.sessionName}`);
  lines.push(
    `required actions: ${report.requiredActions.map((a) => (a.why === "always" ? a.action : `${a.action} (${a.why})`)).join(", ")}`,
  );
  for (const action of report.actions) {
    lines.push("");
    const why =
      action.reason === "explicit-deny"
        ? "an applying Deny statement refuses it"
        : action.reason === "implicit-deny"
          ? "no Allow statement applies"
          : "allowed";
    lines.push(`${action.action}: ${action.decision}${action.decision === "deny" ? ` (${why})` : ""}`);
    const subject = report.kind === "web-identity" ? "token" : "request";
    for (const statement of action.statements) lines.push(...renderStatement(statement, subject));
  }
  return `${lines.join("\n")}\n`;
}

function renderStatement(s: StatementReport, subject: string): string[] {
  const name = s.sid ? `statement ${s.index} "${s.sid}"` : `statement ${s.index}`;
  const lines = [`  ${name} (${s.effect}): ${s.applies ? "applies" : "does not apply"}`];
  if (s.principal)
    lines.push(`    principal: ${s.principal.reason} -> ${s.principal.matched ? "match" : "no match"}`);
  const actionWord = s.action.negated ? "NotAction" : "action";
  lines.push(
    `    ${actionWord} ${s.action.patterns.join(", ")} -> ${s.action.matched ? "match" : "no match"}`,
  );
  for (const c of s.conditions) lines.push(`    ${renderCondition(c, subject)}`);
  return lines;
}

const quote = (values: readonly (string | null)[]) =>
  values.map((v) => (v === null ? "(unresolved variable)" : JSON.stringify(v))).join(" or ");

export function renderCondition(c: ConditionTrace, subject = "token"): string {
  const has =
    c.requestValues === null || c.requestValues.length === 0
      ? `${subject} has no such key`
      : `${subject} has ${quote(c.requestValues)}`;
  const outcome = c.result ? "match" : "no match";
  if (c.operator === "Null")
    return `condition Null ${c.key}: ${has}, policy wants key ${c.policyValues.includes("true") ? "absent" : "present"} -> ${outcome}`;
  const wants = c.operator.includes("Not")
    ? `policy wants none of ${quote(c.policyValues)}`
    : `policy wants ${quote(c.policyValues)}`;
  const absentRule = c.requestValues === null ? ` (${c.reason})` : "";
  return `condition ${c.operator} ${c.key}: ${has}, ${wants} -> ${outcome}${absentRule}`;
}
