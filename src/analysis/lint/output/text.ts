import type { Report } from "./report.js";

/** Text for people: grouped by file, then by role/resource and statement, worst first within a group;
 * the line of each finding when the input says where; the page of every rule that fired at the end. */
export function formatText(report: Report, ruleDocs?: string): string {
  const lines: string[] = [];
  const byFile = groupBy(report.findings, (f) => f.file);
  for (const [file, findings] of byFile) {
    lines.push(file);
    const byStatement = groupBy(findings, (f) => `${f.location}\u0000${f.statement ?? ""}`);
    for (const group of byStatement.values()) {
      const first = group[0]!;
      const statement =
        first.statement === undefined
          ? "(whole policy)"
          : `Statement[${first.statement}]${first.sid ? ` (Sid "${first.sid}")` : ""}`;
      lines.push(`  ${first.location} · ${statement}`);
      for (const f of group)
        lines.push(
          `    ${f.severity.padEnd(8)} ${f.rule}  ${f.line !== undefined ? `(line ${f.line}) ` : ""}${f.message}`,
        );
    }
    lines.push("");
  }
  const counts = new Map<string, number>();
  for (const f of report.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const summary = ["critical", "high", "medium", "low", "info"]
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(", ");
  lines.push(
    `${report.policies} trust ${report.policies === 1 ? "policy" : "policies"}, ${report.findings.length} ${report.findings.length === 1 ? "finding" : "findings"}${summary ? ` (${summary})` : ""}${report.suppressed.length ? `, ${report.suppressed.length} suppressed` : ""}`,
  );
  const fired = [...new Set(report.findings.map((f) => f.rule))].sort();
  if (ruleDocs && fired.length > 0) {
    lines.push("", "Rule pages:");
    for (const rule of fired) lines.push(`  ${rule}  ${ruleDocs}${rule}.md`);
  }
  return `${lines.join("\n")}\n`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
}
