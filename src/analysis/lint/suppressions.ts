import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseJson } from "../../lib/json.js";
import type { Finding } from "./findings.js";
import { LintInputError } from "./inputs/index.js";

/**
 * Inline suppressions live in a sidecar file, `.keyless-lint.json`, because a trust policy cannot carry
 * them itself: IAM allows only [A-Za-z0-9] in a Sid (no room for a reason) and refuses unknown fields.
 * Every suppression names a rule and says why; `file`, `location` and `statement` (index or Sid) narrow
 * it. A suppression without a reason is bad input.
 */
const Suppression = z.object({
  rule: z.string().regex(/^OIDC-\d{3}$/),
  reason: z.string().trim().min(1, "every suppression needs a reason"),
  file: z.string().optional(),
  location: z.string().optional(),
  statement: z.union([z.number().int().min(0), z.string()]).optional(),
});
const SuppressionFile = z.object({ suppressions: z.array(Suppression) });
export type Suppression = z.infer<typeof Suppression>;

export function readSuppressions(path: string): Suppression[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new LintInputError(`${path}: cannot read the suppressions file`);
  }
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (error) {
    throw new LintInputError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = SuppressionFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LintInputError(`${path}: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data.suppressions;
}

const normalise = (p: string) => p.replaceAll("\\", "/").replace(/^\.\//, "");

export function suppressionFor(
  finding: Finding,
  suppressions: readonly Suppression[],
): Suppression | undefined {
  return suppressions.find(
    (s) =>
      s.rule === finding.rule &&
      (s.file === undefined || normalise(s.file) === normalise(finding.file)) &&
      (s.location === undefined || s.location === finding.location) &&
      (s.statement === undefined || s.statement === finding.statement || s.statement === finding.sid),
  );
}
