import { actionMatches } from "../../../core/policy/index.js";
import type { Condition, Policy, Statement } from "../../../core/policy/types.js";
import {
  Admission,
  hasWildcard,
  isLike,
  isNegated,
  isPositive,
  type Probe,
  TAG_SESSION,
  WEB_IDENTITY,
} from "../admission.js";
import { maxSeverity, type Severity, severityRank } from "../findings.js";
import { DEAD_HOSTS, type PlatformProfile } from "../platform.js";
import { analyseSubject, GENERIC_UNIVERSAL, type ProbeKind, type SubjectAnalysis } from "../subjects.js";

/** A finding before it is placed in a file: the rule, how bad, and what to tell the user. */
export interface Raw {
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
}

/** Claims AWS maps to condition keys for every OIDC issuer (aws-identity-plane §6.3). */
const STANDARD_CLAIMS = new Set(["aud", "sub", "oaud", "amr", "azp", "email"]);
/** First components of a customised GitHub subject that bind it to the owner (OIDC-009). */
const OWNER_BOUND = new Set([
  "repo",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "enterprise",
  "enterprise_id",
]);
const EXACT_OPERATORS = new Set([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
]);

const label = (s: Statement) => (s.sid ? `Statement[${s.index}] (Sid "${s.sid}")` : `Statement[${s.index}]`);
const operatorOf = (c: Condition) => c.operator.text;
const quote = (v: string) => `"${v}"`;

/** What a real token of the platform carries besides what the statement conditions (aws-identity-plane §6.3, §7). */
function baseContext(prefix: string, profile: PlatformProfile): Map<string, readonly string[]> {
  const base = new Map<string, readonly string[]>();
  const aud = profile.id === "spacelift" ? prefix : (profile.audiences[0] ?? "sts.amazonaws.com");
  base.set(`${prefix}:aud`.toLowerCase(), [aud]);
  base.set(`${prefix}:sub`.toLowerCase(), ["zz-base-subject"]);
  if (profile.id === "env0") {
    const tags = [
      "organizationId",
      "projectId",
      "templateId",
      "environmentId",
      "deployerEmail",
      "deploymentType",
      "env0Tag",
    ];
    for (const t of tags) base.set(`aws:requesttag/${t.toLowerCase()}`, [`zz-${t}`]);
    base.set("aws:tagkeys", tags);
  }
  return base;
}

/** Every check of one OIDC statement (an Allow naming one IAM OIDC provider). */
export function checkOidcStatement(
  policy: Policy,
  statement: Statement,
  federatedId: string,
  prefix: string,
  profile: PlatformProfile,
): Raw[] {
  const out: Raw[] = [];
  const where = label(statement);
  const key = (claim: string) => `${prefix}:${claim}`.toLowerCase();
  const subKey = key("sub");
  const audKey = key("aud");
  const conditionsOn = (k: string) => statement.conditions.filter((c) => c.key.toLowerCase() === k);
  const shared = profile.sharedIssuer;
  const tenancySeverity: Severity = shared ? "critical" : "high";
  const adm = new Admission(policy, statement, federatedId, baseContext(prefix, profile));
  const probe = (entries: Record<string, readonly string[] | undefined>): Probe =>
    new Map(Object.entries(entries).map(([k, v]) => [k.toLowerCase(), v]));

  // ---- B: the call itself -----------------------------------------------------------------------------
  const host = prefix.split("/")[0]!.toLowerCase();
  const replacement = DEAD_HOSTS.get(host);
  if (replacement) {
    out.push({
      rule: "OIDC-105",
      severity: "medium",
      message: `${where} trusts provider ${prefix}, which no longer issues tokens: tokens come from ${replacement}. Create that provider and trust it instead.`,
    });
  }
  if (!actionMatches(statement, WEB_IDENTITY)) {
    const actions = statement.action?.patterns.join(", ") ?? "none";
    out.push({
      rule: "OIDC-105",
      severity: "medium",
      message: `${where} names OIDC provider ${prefix} but its Action (${actions}) does not allow sts:AssumeRoleWithWebIdentity, the only call a web-identity token can make. Set Action to "sts:AssumeRoleWithWebIdentity".`,
    });
  }
  const tagKeys = statement.conditions.filter(
    (c) => c.key.toLowerCase().startsWith("aws:requesttag/") || c.key.toLowerCase() === "aws:tagkeys",
  );
  if ((profile.sessionTags === "always" || tagKeys.length > 0) && !actionMatches(statement, TAG_SESSION)) {
    const why =
      profile.sessionTags === "always"
        ? `${profile.title} puts session tags in every token`
        : `its conditions on ${tagKeys.map((c) => c.key).join(", ")} mean the token carries session tags`;
    out.push({
      rule: "OIDC-106",
      severity: "medium",
      message: `${where}: ${why}, so STS also checks sts:TagSession, which this statement does not allow: every call fails with "Not authorized to perform sts:AssumeRoleWithWebIdentity". Add "sts:TagSession" to Action.`,
    });
  }
  if (statement.conditions.length === 0) {
    out.push({
      rule: "OIDC-002",
      severity: tenancySeverity,
      message: `${where} trusts OIDC provider ${prefix} with no Condition at all: ${shared ? `every ${profile.title} customer` : "every workload of the issuer"} can assume the role with a token for an audience of the provider. Add StringEquals conditions on ${key("aud")} and ${subKey}.`,
    });
  }

  // ---- condition keys the provider does not have (OIDC-104) -----------------------------------------------
  const seen = new Set<string>();
  for (const c of statement.conditions) {
    const lower = c.key.toLowerCase();
    const colon = lower.lastIndexOf(":");
    const keyPrefix = lower.slice(0, colon);
    if (colon < 0 || !keyPrefix.includes(".") || seen.has(lower)) continue; // global (aws:, sts:) keys
    seen.add(lower);
    const failsOpen = !isPositive(c) && c.operator.base !== "Null";
    const severity: Severity = failsOpen ? "high" : "medium";
    const effect = failsOpen
      ? `the key is always absent, so ${operatorOf(c)} is always true: the condition fails open`
      : `the key is always absent, so ${operatorOf(c)} is always false: nobody can assume the role`;
    if (keyPrefix !== prefix.toLowerCase()) {
      out.push({
        rule: "OIDC-104",
        severity,
        message: `${where}: condition ${operatorOf(c)} ${c.key} uses prefix "${c.key.slice(0, colon)}", but the statement's provider is "${prefix}" (keys are <provider host+path>:<claim>); ${effect}. Rename the key to ${prefix}:${c.key.slice(colon + 1)}.`,
      });
    } else {
      const claim = lower.slice(colon + 1);
      if (!STANDARD_CLAIMS.has(claim) && !profile.providerKeys.includes(claim)) {
        out.push({
          rule: "OIDC-104",
          severity,
          message: `${where}: condition ${operatorOf(c)} ${c.key} names claim "${claim}", which AWS does not turn into a condition key for ${profile.title} (custom claims are not keys); ${effect}. Match the claim through ${subKey} or a session tag (aws:RequestTag/…) instead.`,
        });
      }
    }
  }

  if (!actionMatches(statement, WEB_IDENTITY) || statement.conditions.length === 0) {
    out.push(...hygiene(statement, prefix));
    return out;
  }

  // ---- tenancy (OIDC-001, -009, -109) -------------------------------------------------------------------------
  const tenancyKeys = profile.tenancyClaims.map(key);
  const positiveTenancy = statement.conditions.some(
    (c) => tenancyKeys.includes(c.key.toLowerCase()) && isPositive(c),
  );
  const strangerSub = adm.admits(probe({ [subKey]: ["zz-attacker-subject"] }));
  if (
    !positiveTenancy &&
    (profile.tenancyClaims.includes("aud")
      ? adm.admits(probe({ [audKey]: ["zz-attacker-audience"] }))
      : strangerSub)
  ) {
    out.push({
      rule: "OIDC-001",
      severity: tenancySeverity,
      message: `${where} has no positive condition (StringEquals/StringLike) on ${tenancyKeys.join(" or ")}: ${shared ? `any ${profile.title} customer` : "any workload of this issuer"} with a token for the provider's audience can assume the role (the engine admits a token with sub "zz-attacker-subject"). Add StringEquals ${subKey} with the exact subject of the pipeline.`,
    });
  }
  if (profile.writeTimeControl) {
    const scoped = statement.conditions.some(
      (c) =>
        tenancyKeys.includes(c.key.toLowerCase()) &&
        (c.operator.base === "StringEquals" ||
          c.operator.base === "StringLike" ||
          c.operator.base === "StringEqualsIgnoreCase") &&
        c.operator.set !== "ForAllValues" &&
        !c.operator.ifExists &&
        c.values.some((v) => v !== "*"),
    );
    if (!scoped) {
      out.push({
        rule: "OIDC-109",
        severity: "medium",
        message: `${where}: IAM refuses to create or update this trust policy (MalformedPolicyDocument: "…must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, ${tenancyKeys.join(" or ")} which is not scoped to all"), since ${prefix} is a shared issuer. Add a StringEquals condition on ${subKey}.`,
      });
    }
  }

  // ---- subjects (OIDC-003…010, -013, -014, -017) ---------------------------------------------------------------
  const subValues = [
    ...new Set(
      conditionsOn(subKey)
        .filter(isPositive)
        .flatMap((c) => c.values),
    ),
  ];
  const perValue = new Map<string, Raw[]>();
  let broadestProject = false;
  for (const value of subValues) {
    const raws: Raw[] = [];
    const analysis = analyseSubject(profile.id, value, shared);
    if (analysis && adm.admitsWithOnly(subKey, value, probe({ [subKey]: [analysis.anchor] }))) {
      const admitted = new Set<ProbeKind>();
      const examples = new Map<ProbeKind, string>();
      const fieldsAdmitted = new Map<string, Set<ProbeKind>>();
      for (const p of analysis.probes) {
        if (adm.admitsWithOnly(subKey, value, probe({ [subKey]: [p.subject] }))) {
          admitted.add(p.kind);
          if (!examples.has(p.kind)) examples.set(p.kind, p.subject);
          fieldsAdmitted.set(p.field, new Set([...(fieldsAdmitted.get(p.field) ?? []), p.kind]));
        }
      }
      const universal = analysis.probes
        .filter((p) => p.kind === "universal")
        .every(
          (p) => admitted.has(p.kind) && adm.admitsWithOnly(subKey, value, probe({ [subKey]: [p.subject] })),
        );
      const ex = (k: ProbeKind) => quote(examples.get(k) ?? "");
      const cond = `${subKey} ${quote(value)}`;
      if (universal) {
        raws.push({
          rule: "OIDC-003",
          severity: "critical",
          message: `${where}: ${cond} matches every subject the issuer signs (e.g. ${ex("universal")}), which is as good as no condition. Pin the exact subject with StringEquals.`,
        });
      } else if (admitted.has("other-tenant") || admitted.has("lookalike-tenant")) {
        const k = admitted.has("lookalike-tenant") ? "lookalike-tenant" : "other-tenant";
        raws.push({
          rule: "OIDC-004",
          severity: "critical",
          message: `${where}: ${cond} has a wildcard in the ${analysis.fields.find((f) => f.role === "tenant")?.name ?? "tenant"} segment and admits another tenant's subject ${ex(k)}, which anyone can register. End the tenant name with its delimiter and pin the rest.`,
        });
      } else if (admitted.has("other-project")) {
        broadestProject = true;
        raws.push({
          rule: "OIDC-005",
          severity: "high",
          message: `${where}: ${cond} admits every ${[...fieldsAdmitted]
            .filter(([, k]) => k.has("other-project"))
            .map(([f]) => f)
            .join(
              "/",
            )} of the tenant (e.g. ${ex("other-project")}): anyone who can create one inherits the role. Pin the exact ${analysis.fields
            .filter((f) => f.role === "project")
            .map((f) => f.name)
            .join(" and ")}.`,
        });
      } else {
        if (admitted.has("untrusted-context")) {
          raws.push({
            rule: "OIDC-006",
            severity: "high",
            message: `${where}: ${cond} admits an untrusted context (${ex("untrusted-context")}): code nobody reviewed runs with the role. Pin the protected branch or environment (e.g. …:environment:production).`,
          });
        } else if (admitted.has("other-context")) {
          raws.push({
            rule: "OIDC-006",
            severity: "medium",
            message: `${where}: ${cond} admits any branch, tag or environment (e.g. ${ex("other-context")}). Pin the protected branch or environment.`,
          });
        }
        const prefixOnly =
          (admitted.has("project-prefix") && !admitted.has("other-project")) ||
          (admitted.has("context-prefix") &&
            !admitted.has("other-context") &&
            !admitted.has("untrusted-context"));
        if (prefixOnly) {
          const k = admitted.has("context-prefix") ? "context-prefix" : "project-prefix";
          raws.push({
            rule: "OIDC-007",
            severity: "medium",
            message: `${where}: ${cond} has a wildcard glued to a name and admits ${ex(k)}: anyone who can create a branch or repository with that prefix is admitted. Remove the wildcard (use StringEquals) or end the name with its delimiter.`,
          });
        }
        if (admitted.has("dimension")) {
          const dims = [...fieldsAdmitted].filter(([, k]) => k.has("dimension")).map(([f]) => f);
          const high = dims.includes("run_phase") || dims.includes("ref_type") || dims.includes("phase");
          raws.push({
            rule: "OIDC-008",
            severity: high ? "high" : "medium",
            message: `${where}: ${cond} does not pin ${dims.join(", ")} and admits ${ex("dimension")}: a read-only phase (plan, tag build, proposed run) gets the same credentials. Pin ${dims.join(", ")} (use a separate role for the read-only phase).`,
          });
        }
      }
      raws.push(
        ...identityChecks(adm, analysis, value, where, prefix, profile, subKey, broadestProject, probe),
      );
    } else if (profile.id === "github" && !value.startsWith("repo:") && !value.startsWith("*")) {
      const first = value.split(":")[0]!;
      const ownerPinnedById = !adm.admits(
        probe({
          [subKey]: [value.replaceAll("*", "x")],
          [key("repository_owner_id")]: ["999999999"],
          [key("repository_id")]: ["999999999"],
        }),
      );
      if (!OWNER_BOUND.has(first) && !ownerPinnedById) {
        raws.push({
          rule: "OIDC-009",
          severity: "high",
          message: `${where}: ${subKey} ${quote(value)} is a customised subject starting with "${first}", which any GitHub organisation can produce with its own template. Start the template with repo (or repository_owner_id) or add StringEquals ${key("repository_owner_id")}.`,
        });
      }
    } else if (!analysis) {
      const all = GENERIC_UNIVERSAL.every((s) => adm.admitsWithOnly(subKey, value, probe({ [subKey]: [s] })));
      if (all)
        raws.push({
          rule: "OIDC-003",
          severity: "critical",
          message: `${where}: ${subKey} ${quote(value)} matches every subject the issuer signs. Pin the exact subject with StringEquals.`,
        });
    }
    perValue.set(value, raws);
  }
  const exposure = new Set(["OIDC-003", "OIDC-004", "OIDC-005", "OIDC-006"]);
  const loose = [...perValue].filter(([, r]) => r.some((x) => exposure.has(x.rule)));
  if (subValues.length > 1 && loose.length > 0 && loose.length < subValues.length) {
    for (const [value, raws] of loose) {
      const worst = raws
        .filter((x) => exposure.has(x.rule))
        .reduce((a, b) => (severityRank(b.severity) > severityRank(a.severity) ? b : a));
      out.push({
        rule: "OIDC-010",
        severity: worst.severity,
        message: `${where}: the value list of ${subKey} has ${subValues.length} values and they are OR-ed, so the loosest decides: ${quote(value)} trips ${worst.rule} (${worst.message.split(": ").slice(1).join(": ")})`,
      });
      out.push(...raws.filter((x) => !exposure.has(x.rule)));
    }
    for (const [value, raws] of perValue) if (!loose.some(([v]) => v === value)) out.push(...raws);
  } else {
    for (const raws of perValue.values()) out.push(...raws);
  }

  // ---- operators that fail open (OIDC-012) ----------------------------------------------------------------
  const byKey = new Map<string, Condition[]>();
  for (const c of statement.conditions)
    byKey.set(c.key.toLowerCase(), [...(byKey.get(c.key.toLowerCase()) ?? []), c]);
  for (const [k, conditions] of byKey) {
    const weak = conditions.filter((c) => !isPositive(c));
    if (weak.length === 0) continue;
    const ops = weak.map(operatorOf).join(", ");
    if (adm.admits(probe({ [k]: undefined }))) {
      out.push({
        rule: "OIDC-012",
        severity: "high",
        message: `${where}: ${ops} on ${conditions[0]!.key} is true when the token has no such claim, and the engine admits a token without it. Use a positive operator (StringEquals/StringLike) without IfExists or ForAllValues.`,
      });
    } else if (
      tenancyKeys.includes(k) &&
      conditions.every((c) => isNegated(c)) &&
      adm.admits(probe({ [k]: ["zz-attacker-subject"] }))
    ) {
      out.push({
        rule: "OIDC-012",
        severity: "high",
        message: `${where}: ${ops} on ${conditions[0]!.key} is a deny-list: every other tenant's value passes. Pin the allowed value with StringEquals.`,
      });
    }
  }

  // ---- claims the workload chooses (OIDC-015) --------------------------------------------------------------
  const controlled = controlledKeys(prefix, profile).filter((k) => byKey.get(k)?.some(isPositive));
  if (controlled.length > 0) {
    const anchorProbe: Record<string, readonly string[]> = { [subKey]: ["zz-attacker-subject"] };
    if (profile.id === "env0") anchorProbe["aws:requesttag/organizationid"] = ["zz-attacker-organization"];
    const anchored = !adm.admits(probe(anchorProbe));
    if (!anchored || profile.id !== "github") {
      out.push({
        rule: "OIDC-015",
        severity: anchored ? "medium" : "critical",
        message: `${where}: ${controlled.map((k) => byKey.get(k)![0]!.key).join(", ")} is chosen by the job or its configuration (any ${profile.title} customer can set the same value)${anchored ? "; the tenant is pinned elsewhere, so it only narrows" : " and nothing else pins the tenant"}. ${profile.id === "env0" ? `Never gate on env0Tag: pin ${subKey} and aws:RequestTag/organizationId, then projectId or environmentId.` : `Pin ${subKey} to the tenant instead.`}`,
      });
    }
  }

  // ---- audience (OIDC-016, -102) ----------------------------------------------------------------------------
  if (adm.admits(probe({ [audKey]: ["zz-other-audience"] }))) {
    const audTenancy = profile.tenancyClaims.includes("aud");
    out.push({
      rule: "OIDC-016",
      severity: audTenancy ? "critical" : "low",
      message: `${where} has no positive condition on ${audKey}: a token minted for another relying party registered on the provider (e.g. sigstore) is accepted. Add StringEquals ${audKey} ${quote(profile.audiences[0] ?? "<the audience your pipeline requests>")}.`,
    });
  } else {
    const expected = profile.id === "spacelift" ? [prefix] : profile.audiences;
    const otherwiseSatisfiable = [...adm.unsatisfiable].every((k) => k === audKey);
    if (
      expected.length > 0 &&
      otherwiseSatisfiable &&
      conditionsOn(audKey).length > 0 &&
      !expected.some((a) => adm.admits(probe({ [audKey]: [a] })))
    ) {
      const values = conditionsOn(audKey)
        .flatMap((c) => c.values)
        .map(quote)
        .join(", ");
      const hint =
        profile.id === "github"
          ? " (bad when the workflow requests the sts.amazonaws.com audience, configure-aws-credentials' default)"
          : profile.id === "tfc"
            ? " (unless TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE is set to it)"
            : profile.id === "env0"
              ? " (AWS matches env0's azp, the client id, not the token's URL aud)"
              : "";
      out.push({
        rule: "OIDC-102",
        severity: "medium",
        message: `${where}: ${audKey} must be ${values}, but ${profile.title} tokens carry ${expected.map(quote).join(" or ")}${hint}: STS denies the legitimate caller. Set ${audKey} to ${quote(expected[0]!)}.`,
      });
    }
  }

  // ---- claims some callers lack (OIDC-103, -108) --------------------------------------------------------------
  if (profile.id === "github" && byKey.get(key("environment"))?.some(isPositive)) {
    const env = adm.witnessOf(key("environment"))?.[0] ?? "production";
    const anchors = subValues
      .map((v) => analyseSubject("github", v, true))
      .filter((a): a is SubjectAnalysis => a !== undefined);
    const envForm = anchors.map((a) => {
      const owner = a.fields.find((f) => f.name === "owner")?.value;
      const repo = a.fields.find((f) => f.name === "repository")?.value;
      return `repo:${owner}/${repo}:environment:${env}`;
    });
    const envAdmitted = envForm.some((s) => adm.admits(probe({ [subKey]: [s] })));
    if (anchors.length > 0 && !envAdmitted) {
      out.push({
        rule: "OIDC-103",
        severity: "medium",
        message: `${where} requires ${key("environment")} = ${quote(env)}, but a job that uses an environment gets sub "…:environment:${env}", which ${subKey} does not admit: nobody can assume the role. Pin ${subKey} to "repo:<owner>/<repo>:environment:${env}".`,
      });
    } else if (
      envAdmitted &&
      adm.admits(probe({ [subKey]: [anchors[0]!.anchor], [key("environment")]: undefined })) === false &&
      anchors.some((a) => !a.anchor.includes(":environment:"))
    ) {
      out.push({
        rule: "OIDC-108",
        severity: "low",
        message: `${where} requires ${key("environment")}, which tokens of jobs without an environment do not carry, while ${subKey} also admits such jobs: they are denied. Pin ${subKey} to the environment form instead.`,
      });
    }
  }
  if (profile.id === "bitbucket") {
    for (const c of conditionsOn(subKey).filter((c) => !isLike(c) && isPositive(c))) {
      for (const v of c.values) {
        if (analyseSubject("bitbucket", v, false)) {
          out.push({
            rule: "OIDC-103",
            severity: "medium",
            message: `${where}: ${operatorOf(c)} ${subKey} ${quote(v)} pins the step UUID, which changes on every run: the next run is denied. Use StringLike with the repository (and environment) UUID and "*" for the step.`,
          });
        }
      }
    }
  }
  if (profile.sessionTags === "never") {
    for (const c of tagKeys.filter(isPositive)) {
      out.push({
        rule: "OIDC-108",
        severity: "low",
        message: `${where}: ${operatorOf(c)} ${c.key} needs a session tag, but ${profile.title} tokens carry none: the key is absent and the role is unusable. Remove the condition or scope through ${subKey}.`,
      });
    }
  }

  // ---- hygiene (OIDC-101, -201, -202, -203) --------------------------------------------------------------------
  out.push(...hygiene(statement, prefix));
  return out;
}

function identityChecks(
  adm: Admission,
  analysis: SubjectAnalysis,
  value: string,
  where: string,
  prefix: string,
  profile: PlatformProfile,
  subKey: string,
  projectWide: boolean,
  probe: (e: Record<string, readonly string[] | undefined>) => Probe,
): Raw[] {
  const out: Raw[] = [];
  const field = (name: string) => analysis.fields.find((f) => f.name === name);
  const key = (claim: string) => `${prefix}:${claim}`.toLowerCase();
  const at = { [subKey]: [analysis.anchor] };
  const cond = `${subKey} ${quote(value)}`;
  if (profile.id === "github") {
    const owner = field("owner");
    const repo = field("repository");
    const hyphenId = (s: string | undefined) =>
      s !== undefined && /^[A-Za-z0-9][A-Za-z0-9-]*-\d{4,}$/.test(s);
    if (hyphenId(owner?.written) && hyphenId(repo?.written)) {
      out.push({
        rule: "OIDC-014",
        severity: "high",
        message: `${where}: ${cond} uses the withdrawn hyphen-id form ("name-<id>"); an organisation literally named "${owner!.written}" produces the same subject. Use the immutable form repo:<owner>@<id>/<repo>@<id>:… .`,
      });
    } else if (
      !owner?.value.includes("@") &&
      adm.admits(
        probe({ ...at, [key("repository_owner_id")]: ["999999999"], [key("repository_id")]: ["999999999"] }),
      )
    ) {
      out.push({
        rule: "OIDC-013",
        severity: projectWide ? "high" : "medium",
        message: `${where}: ${cond} pins the owner and repository by name only; a deleted or renamed name can be registered by someone else. Use the immutable subject repo:${owner?.value ?? "<owner>"}@<owner-id>/${field("repository")?.value ?? "<repo>"}@<repo-id>:… or add StringEquals ${key("repository_owner_id")} and ${key("repository_id")}.`,
      });
    }
  }
  if (
    profile.id === "gitlab" &&
    adm.admits(probe({ ...at, [key("project_id")]: ["999999999"], [key("namespace_id")]: ["999999999"] }))
  ) {
    out.push({
      rule: "OIDC-013",
      severity: projectWide ? "high" : "medium",
      message: `${where}: ${cond} pins the project by path only; a deleted path can be re-registered. Add StringEquals ${key("project_id")} and ${key("namespace_id")}.`,
    });
  }
  if (
    profile.id === "buildkite" &&
    adm.admits(
      probe({
        ...at,
        "aws:requesttag/organization_id": ["zz-other"],
        [key("organization_id")]: ["zz-other"],
      }),
    )
  ) {
    out.push({
      rule: "OIDC-013",
      severity: projectWide ? "high" : "medium",
      message: `${where}: ${cond} pins the organisation by its slug only; a deleted slug can be re-registered. Request the organization_id session tag and add StringEquals aws:RequestTag/organization_id (with sts:TagSession).`,
    });
  }
  if (
    profile.id === "spacelift" &&
    field("space")?.written !== undefined &&
    !hasWildcard(field("space")!.written!)
  ) {
    out.push({
      rule: "OIDC-017",
      severity: "medium",
      message: `${where}: ${cond} pins space slug "${field("space")!.written}", which is not unique: the same slug under another parent space yields the same subject. Use a subject template with {spacePath} and pin space_path.`,
    });
  }
  if (profile.id === "kubernetes") {
    const nsOpen = adm.admitsWithOnly(
      subKey,
      value,
      probe({ [subKey]: [`system:serviceaccount:zz-other-namespace:${field("serviceaccount")?.value}`] }),
    );
    if (nsOpen && field("serviceaccount")?.written && !hasWildcard(field("serviceaccount")!.written!)) {
      out.push({
        rule: "OIDC-017",
        severity: "medium",
        message: `${where}: ${cond} pins service account "${field("serviceaccount")!.written}" in any namespace: every namespace can create one with that name. Pin the namespace.`,
      });
    }
  }
  return out;
}

/** Keys whose values the job (or whoever edits it) chooses (OIDC-015). */
function controlledKeys(prefix: string, profile: PlatformProfile): string[] {
  switch (profile.id) {
    case "env0":
      return ["aws:requesttag/env0tag"];
    case "github":
      return [`${prefix}:workflow`.toLowerCase()];
    case "buildkite":
      return ["aws:requesttag/step_key"];
    default:
      return [];
  }
}

/** Operator hygiene that needs no platform knowledge (OIDC-101, -201, -202, -203). */
export function hygiene(statement: Statement, prefix: string | undefined): Raw[] {
  const out: Raw[] = [];
  const where = label(statement);
  for (const c of statement.conditions) {
    if (EXACT_OPERATORS.has(c.operator.base)) {
      for (const v of c.values.filter(hasWildcard)) {
        out.push({
          rule: "OIDC-101",
          severity: "medium",
          message: `${where}: ${operatorOf(c)} ${c.key} ${quote(v)} compares "*"/"?" literally, so no real token matches${c.operator.base.includes("Not") ? " and the negation is always true" : ": the legitimate caller is denied"}. Remove the wildcard, or use ${c.operator.base.replace("Equals", "Like").replace("IgnoreCase", "")} if a pattern is intended.`,
        });
      }
    }
    if (isLike(c)) {
      for (const v of c.values.filter((v) => !hasWildcard(v))) {
        out.push({
          rule: "OIDC-202",
          severity: "info",
          message: `${where}: ${operatorOf(c)} ${c.key} ${quote(v)} has no wildcard; it is an exact match written as a pattern. Use ${c.operator.base === "StringLike" ? "StringEquals" : "StringNotEquals"}.`,
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
