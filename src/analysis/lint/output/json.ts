import type { Report } from "./report.js";

/** `{"findings": [{"rule","severity","message","file","statement",…}], "suppressed": […]}`; `statement` is
 * the statement's index in the policy (null for the whole policy); `line`/`column` (1-based) where the
 * statement or condition is in the file, null when the input does not say (the emulator). */
export function formatJson(report: Report): string {
  const finding = (f: Report["findings"][number]) => ({
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    file: f.file,
    statement: f.statement ?? null,
    location: f.location,
    sid: f.sid ?? null,
    // The fix as statement edits (fixes.ts) and the statement after it; null when the rule needs a value
    // only the user knows.
    fix: f.fix ?? null,
    line: f.line ?? null,
    column: f.column ?? null,
  });
  return `${JSON.stringify(
    {
      findings: report.findings.map(finding),
      suppressed: report.suppressed.map((s) => ({ ...finding(s.finding), reason: s.reason })),
    },
    null,
    2,
  )}\n`;
}
