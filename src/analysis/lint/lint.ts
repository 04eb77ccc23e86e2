import type { Json } from "../../core/policy/index.js";
import {
  actionMatches,
  compactLength,
  PolicyError,
  parsePolicy,
  TRUST_POLICY_SIZE_QUOTA,
} from "../../core/policy/index.js";
import type { Policy, Statement } from "../../core/policy/types.js";
import { builtinProvider } from "../../platforms/index.js";
import { isPositive } from "./admission.js";
import type { Finding } from "./findings.js";
import { type Fix, fixedStatementText } from "./fixes.js";
import type { PathPart } from "./inputs/positions.js";
import { LintInputError, type TrustPolicySource } from "./inputs/types.js";
import { detectPlatform, inferPlatform, type PlatformOverrides, providerPrefix } from "./platform.js";
import { checkOidcStatement, hygiene, type Raw, weakest } from "./rules/checks.js";
import { ownAccount, surfaceChecks } from "./rules/surface.js";

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
  const place = (raw: Raw, statement: Statement | undefined): Finding => {
    const at = source.locate?.(pathOf(raw, statement));
    return {
      ...raw,
      ...(raw.fix && statement ? { fix: placeFix(source, statement.index, raw.fix) } : {}),
      file: source.file,
      location: source.location,
      statement: statement?.index,
      sid: statement?.sid,
      ...(at ? { line: at.line, column: at.column } : {}),
    };
  };
  if (source.unreadable !== undefined) {
    return [
      place(
        {
          rule: "OIDC-300",
          severity: "high",
          message: `the file cannot be read: ${source.unreadable}. Nothing in it was linted; fix it (the other files were linted).`,
        },
        undefined,
      ),
    ];
  }
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
      if (source.fromDirectory) {
        return [
          place(
            {
              rule: "OIDC-300",
              severity: "high",
              message: `IAM refuses this trust policy (MalformedPolicyDocument: ${error.message}), so CreateRole or UpdateAssumeRolePolicy fails and nothing in it was linted. Fix the policy.`,
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
  const size = sizeFinding(source);
  if (size) findings.push(place(size, undefined));
  const own = ownAccount(policy, source.location);
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
      if (!id.includes(":oidc-provider/") && builtinProvider(id) === undefined) {
        raws.push(domainPrincipal(statement, id));
        continue;
      }
      const detected = detectPlatform(prefix, options.platforms);
      let profile = detected.profile;
      if (detected.source === "default") {
        const subjects = statement.conditions
          .filter((c) => c.key.toLowerCase() === `${prefix}:sub`.toLowerCase() && isPositive(c))
          .flatMap((c) => c.values);
        const { inferred, candidates } = inferPlatform(subjects);
        raws.push(unknownIssuer(statement, prefix, inferred?.id, candidates));
        if (inferred) profile = inferred;
      }
      raws.push(...checkOidcStatement(policy, statement, id, prefix, profile));
    }
    raws.push(...surfaceChecks(statement, own));
    if (oidc.length === 0) {
      raws.push(...hygiene(statement, undefined, policy.version === "2012-10-17"));
      if (
        statement.action?.negated === false &&
        statement.action.patterns.some((p) => p.toLowerCase() === "sts:assumerolewithwebidentity") &&
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
          severity: "high",
          ...(statement.action?.negated
            ? {}
            : {
                fix: {
                  description: "Add sts:TagSession to Action.",
                  edits: [{ op: "add-action", action: "sts:TagSession" }],
                },
              }),
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

/**
 * OIDC-105 for `"Federated": "<host>"` naming an IAM OIDC provider by its host: STS's principal for a token
 * of an IAM OIDC provider is the provider's ARN; a bare domain matches only AWS's built-in providers
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity),
 * so no token gets in, as the emulator and explain decide.
 */
function domainPrincipal(statement: Statement, host: string): Raw {
  return {
    rule: "OIDC-105",
    severity: "medium",
    message: `${label(statement)} trusts Federated "${host}", a domain: AWS matches a domain only for its built-in providers (Google, Cognito, Facebook, Login with Amazon). A token from the IAM OIDC provider for ${host} is matched by the provider's ARN, so this statement admits no token. Use "arn:aws:iam::<account>:oidc-provider/${host}".`,
  };
}

/** OIDC-109 for a policy over IAM's trust-policy size quota: CreateRole refuses it, as the emulator does. */
function sizeFinding(source: TrustPolicySource): Raw | undefined {
  const length =
    typeof source.policy === "string" ? compactLength(source.policy) : JSON.stringify(source.policy).length;
  if (length <= TRUST_POLICY_SIZE_QUOTA) return undefined;
  return {
    rule: "OIDC-109",
    severity: "medium",
    message: `IAM refuses to create or update this trust policy (LimitExceeded: "Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_SIZE_QUOTA}"): it is ${length} characters without whitespace, over the default quota of ${TRUST_POLICY_SIZE_QUOTA} (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Shorten it (one StringLike pattern for a list of values, fewer statements), or have the account's quota raised (up to 4096).`,
  };
}

/** The fix with the fixed statement's JSON text, when the policy's JSON is at hand. */
function placeFix(source: TrustPolicySource, index: number, fix: Fix): Fix {
  let policy: Json;
  try {
    policy =
      typeof source.policy === "string" ? (JSON.parse(source.policy) as Json) : (source.policy as Json);
  } catch {
    return fix;
  }
  const statement = fixedStatementText(policy, index, fix);
  return statement === undefined ? fix : { ...fix, statement };
}

/** Where in the policy a finding points: its statement, and the condition whose key the message names
 * first (keys are quoted as written, so the first one mentioned is the one the finding is about). */
function pathOf(raw: Raw, statement: Statement | undefined): PathPart[] {
  if (!statement) return [];
  const path: PathPart[] = ["Statement", statement.index];
  let best: { at: number; path: PathPart[] } | undefined;
  for (const c of statement.conditions) {
    const at = raw.message.toLowerCase().indexOf(c.key.toLowerCase());
    if (at >= 0 && (best === undefined || at < best.at))
      best = { at, path: [...path, "Condition", c.operator.text, c.key] };
  }
  return best?.path ?? path;
}

/** OIDC-018: an issuer host no platform record claims is never passed in silence. */
function unknownIssuer(
  statement: Statement,
  prefix: string,
  inferred: string | undefined,
  candidates: readonly string[],
): Raw {
  const host = prefix.split("/")[0]!;
  const flag = `--platform ${host}=<platform>`;
  if (inferred) {
    return {
      rule: "OIDC-018",
      severity: "low",
      message: `${label(statement)}: keyless does not recognise issuer ${prefix}; its ${prefix}:sub values use the ${inferred} subject grammar, so it is checked as ${inferred} (say so with --platform ${host}=${inferred}, or name the right platform with ${flag}).`,
    };
  }
  const why =
    candidates.length > 1
      ? `its subjects fit several platforms (${candidates.join(", ")})`
      : "its subjects match no platform's grammar";
  return {
    rule: "OIDC-018",
    severity: "medium",
    message: `${label(statement)}: keyless does not recognise issuer ${prefix} and ${why}, so only generic checks ran: findings about tenants, projects, branches and names may be missing. Name the platform with ${flag}.`,
  };
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
