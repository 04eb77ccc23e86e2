import type { Finding, Severity } from "../findings.js";
import { RULES } from "../rules/catalogue.js";
import type { Report } from "./report.js";

/**
 * SARIF 2.1.0 for code scanning. Severity maps to `level` (critical/high → error, medium → warning,
 * low/info → note) and to GitHub's `security-severity` score. Suppressed findings stay in the log with a
 * `suppressions` entry carrying the reason, as SARIF intends.
 */
const LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};
const SCORE: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
};

/**
 * A SARIF `fix` (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html, "fix object"): the statement replaced by its fixed JSON. The replaced region is the
 * result's own region; the structured edits are in the result's `properties.fix`.
 */
function sarifFix(f: Finding, statement: string) {
  return {
    description: { text: f.fix!.description },
    artifactChanges: [
      {
        artifactLocation: { uri: f.file.replaceAll("\\", "/") },
        replacements: [{ deletedRegion: { startLine: f.line ?? 1 }, insertedContent: { text: statement } }],
      },
    ],
  };
}

/**
 * @param ruleDocs absolute URI of the directory of rule pages (ending in `/`): each rule's `helpUri` is
 * `<ruleDocs><id>.md`.
 */
export function formatSarif(report: Report, version: string, ruleDocs: string): string {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const result = (f: Finding, reason?: string) => ({
    ruleId: f.rule,
    ruleIndex: index.get(f.rule) ?? 0,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: f.file.replaceAll("\\", "/") },
          region: { startLine: f.line ?? 1, ...(f.column !== undefined ? { startColumn: f.column } : {}) },
        },
        logicalLocations: [
          {
            fullyQualifiedName: `${f.location}/Statement[${f.statement ?? "*"}]`,
            kind: "member",
          },
        ],
      },
    ],
    properties: {
      severity: f.severity,
      "security-severity": SCORE[f.severity],
      ...(f.fix ? { fix: { description: f.fix.description, edits: f.fix.edits } } : {}),
    },
    ...(f.fix?.statement !== undefined ? { fixes: [sarifFix(f, f.fix.statement)] } : {}),
    ...(reason ? { suppressions: [{ kind: "external", justification: reason }] } : {}),
  });
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "keyless",
            version,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) =>
                c ? c.toUpperCase() : "",
              ),
              shortDescription: { text: r.title },
              helpUri: `${ruleDocs}${r.id}.md`,
              help: {
                text: `${r.title}. Bad and fixed examples: ${ruleDocs}${r.id}.md`,
              },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { tags: ["security", "iam", "oidc"], "security-severity": SCORE[r.severity] },
            })),
          },
        },
        results: [
          ...report.findings.map((f) => result(f)),
          ...report.suppressed.map((s) => result(s.finding, s.reason)),
        ],
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
