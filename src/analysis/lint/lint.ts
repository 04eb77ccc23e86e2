import type { Json } from "../../core/policy/index.js";
import { actionMatches, PolicyError, parsePolicy } from "../../core/policy/index.js";
import type { Policy, Statement } from "../../core/policy/types.js";
import type { Finding } from "./findings.js";
import { LintInputError, type TrustPolicySource } from "./inputs/types.js";
import { detectPlatform, type PlatformOverrides, providerPrefix } from "./platform.js";
import { checkOidcStatement, hygiene, type Raw, weakest } from "./rules/checks.js";

export interface LintOptions {
  readonly platforms?: PlatformOverrides;
  /** The DurationSeconds the pipeline requests (OIDC-107). */
  readonly durationSeconds?: number;
}

const label = (s: Statement) => (s.sid ? `Statement[${s.index}] (Sid "${s.sid}")` : `Statement[${s.index}]`);

/** Every finding of one trust policy. A policy IAM would refuse outright is bad input (exit 2), except
 * duplicate JSON members, which is what OIDC-203 is about. */
export function lintSource(source: TrustPolicySource, options: LintOptions = {}): Finding[] {
  let policy: Policy;
  const place = (raw: Raw, statement: Statement | undefined): Finding => ({
    ...raw,
    file: source.file,
    location: source.location,
    statement: statement?.index,
    sid: statement?.sid,
  });
  try {
    policy = parsePolicy(source.policy as string | Json, { kind: "trust" });
  } catch (error) {
    if (error instanceof PolicyError) {
      if (error.detail?.startsWith("duplicate member")) {
        return [
          place(
            {
              rule: "OIDC-203",
              severity: "low",
              message: `the policy has a ${error.detail}: parsers keep one of the two silently and IAM refuses it. Write each operator and key once.`,
            },
            undefined,
          ),
        ];
      }
      throw new LintInputError(
        `${source.file}: ${source.location}: MalformedPolicyDocument: ${error.message}`,
      );
    }
    throw error;
  }

  const findings: Finding[] = [];
  const weakness = new Map<Statement, ReturnType<typeof weakest>>();
  for (const statement of policy.statements) {
    if (statement.effect !== "Allow") continue;
    const raws: Raw[] = [];
    const federated =
      statement.principal?.block.kind === "map"
        ? (statement.principal.block.entries.get("Federated") ?? [])
        : [];
    const oidc = federated
      .map((id) => ({ id, prefix: providerPrefix(id) }))
      .filter((p): p is { id: string; prefix: string } => p.prefix !== undefined);
    for (const { id, prefix } of oidc) {
      const { profile } = detectPlatform(prefix, options.platforms);
      raws.push(...checkOidcStatement(policy, statement, id, prefix, profile));
    }
    if (oidc.length === 0) {
      raws.push(...hygiene(statement, undefined));
      if (
        actionMatches(statement, "sts:AssumeRoleWithWebIdentity") &&
        statement.principal?.block.kind === "map"
      ) {
        raws.push({
          rule: "OIDC-105",
          severity: "medium",
          message: `${label(statement)} allows sts:AssumeRoleWithWebIdentity but names no OIDC provider under Principal.Federated, so no web-identity token can use it. Name the provider ARN (arn:aws:iam::<account>:oidc-provider/<host>) in Principal.Federated.`,
        });
      }
      const tags = statement.conditions.filter((c) => c.key.toLowerCase().startsWith("aws:requesttag/"));
      if (
        tags.length > 0 &&
        actionMatches(statement, "sts:AssumeRole") &&
        !actionMatches(statement, "sts:TagSession")
      ) {
        raws.push({
          rule: "OIDC-106",
          severity: "medium",
          message: `${label(statement)}: its conditions on ${tags.map((c) => c.key).join(", ")} mean the chained AssumeRole passes session tags, which needs sts:TagSession in this trust policy: the call fails. Add "sts:TagSession" to Action.`,
        });
      }
    }
    raws.push(...durationFindings(statement, oidc.length > 0, source, options));
    const unique = dedupe(raws);
    weakness.set(statement, weakest(unique));
    findings.push(...unique.map((r) => place(r, statement)));
  }

  // OIDC-011: statements are OR-ed, so one weak Allow next to tight ones makes the whole role weak.
  const allows = [...weakness.keys()];
  if (allows.length > 1 && allows.some((s) => weakness.get(s) === undefined)) {
    for (const s of allows) {
      const severity = weakness.get(s);
      if (severity === undefined) continue;
      findings.push(
        place(
          {
            rule: "OIDC-011",
            severity,
            message: `${label(s)} is weak while ${allows
              .filter((o) => weakness.get(o) === undefined)
              .map(label)
              .join(
                ", ",
              )} ${allows.filter((o) => weakness.get(o) === undefined).length > 1 ? "are" : "is"} tight, and statements are OR-ed: the role is as open as its weakest statement. Remove ${label(s)} or tighten it (see its other findings).`,
          },
          s,
        ),
      );
    }
  }
  return findings;
}

function durationFindings(
  statement: Statement,
  oidc: boolean,
  source: TrustPolicySource,
  options: LintOptions,
): Raw[] {
  const requested = options.durationSeconds;
  if (requested === undefined) return [];
  const out: Raw[] = [];
  const max = source.maxSessionDuration ?? 3600;
  if (requested > max) {
    out.push({
      rule: "OIDC-107",
      severity: "medium",
      message: `${label(statement)}: the pipeline requests DurationSeconds ${requested} but the role's MaxSessionDuration is ${max}${source.maxSessionDuration === undefined ? " (the default)" : ""}: STS answers "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." Raise MaxSessionDuration (at most 43200) or request less.`,
    });
  }
  if (!oidc && requested > 3600 && actionMatches(statement, "sts:AssumeRole")) {
    out.push({
      rule: "OIDC-107",
      severity: "medium",
      message: `${label(statement)} is reached by role chaining, which STS caps at 3600 seconds, but the pipeline requests ${requested}. Request at most 3600 for the chained role.`,
    });
  }
  return out;
}

/** One finding per rule and message; identical findings from several providers of a statement collapse,
 * and name recycling (OIDC-013) is said once per statement. */
function dedupe(raws: readonly Raw[]): Raw[] {
  const seen = new Set<string>();
  return raws.filter((r) => {
    const k = r.rule === "OIDC-013" ? r.rule : `${r.rule}\u0000${r.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
