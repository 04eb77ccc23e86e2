import { actionMatches } from "../../../core/policy/index.js";
import type { Condition, Policy, Statement } from "../../../core/policy/types.js";
import { DEAD_HOSTS, providerStandardKeys } from "../../../platforms/index.js";
import { Admission, isNegated, isPositive, type Probe, TAG_SESSION, WEB_IDENTITY } from "../admission.js";
import { type Severity, severityRank } from "../findings.js";
import type { PlatformProfile } from "../platform.js";
import { analyseSubject, GENERIC_UNIVERSAL, type ProbeKind } from "../subjects.js";
import { builtinChecks } from "./builtin.js";
import { callerChecks } from "./callers.js";
import { hygiene, label, operatorOf, quote, type Raw } from "./hygiene.js";
import { identityChecks } from "./identity.js";
import { controlChecks, providerKeyChecks } from "./provider-keys.js";

export { hygiene, type Raw, weakest } from "./hygiene.js";

/** What a real token of the platform carries besides what the statement conditions: its audience,
 * a subject, and the session tags it always sends. */
function baseContext(prefix: string, profile: PlatformProfile): Map<string, readonly string[]> {
  const base = new Map<string, readonly string[]>();
  const aud = profile.audienceIsProviderKey ? prefix : (profile.audiences[0] ?? "sts.amazonaws.com");
  base.set(`${prefix}:aud`.toLowerCase(), [aud]);
  base.set(`${prefix}:sub`.toLowerCase(), ["zz-base-subject"]);
  const tags = profile.sessionTags === "always" ? (profile.platform?.sessionTags.keys ?? []) : [];
  if (tags.length > 0) {
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
      severity: "high",
      message: `${where} names OIDC provider ${prefix} but its Action (${actions}) does not allow sts:AssumeRoleWithWebIdentity, the only call a web-identity token can make. Set Action to "sts:AssumeRoleWithWebIdentity".`,
      ...(statement.action?.negated
        ? {}
        : {
            fix: {
              description: "Set Action to sts:AssumeRoleWithWebIdentity (keeping sts:TagSession if allowed).",
              edits: [
                {
                  op: "set-actions",
                  actions: actionMatches(statement, TAG_SESSION)
                    ? [WEB_IDENTITY, TAG_SESSION]
                    : [WEB_IDENTITY],
                },
              ],
            },
          }),
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
      severity: "high",
      message: `${where}: ${why}, so STS also checks sts:TagSession, which this statement does not allow: every call fails with "Not authorized to perform sts:AssumeRoleWithWebIdentity". Add "sts:TagSession" to Action.`,
      ...(statement.action?.negated
        ? {}
        : {
            fix: {
              description: "Add sts:TagSession to Action.",
              edits: [{ op: "add-action", action: TAG_SESSION }],
            },
          }),
    });
  }
  if (statement.conditions.length === 0) {
    out.push({
      rule: "OIDC-002",
      severity: tenancySeverity,
      message: `${where} trusts OIDC provider ${prefix} with no Condition at all: ${shared ? `every ${profile.title} customer` : "every workload of the issuer"} can assume the role with a token for an audience of the provider. Add StringEquals conditions on ${key("aud")} and ${subKey}.`,
    });
  }

  out.push(...providerKeyChecks(statement, prefix, where));
  // IAM's identity-provider controls: the same decision the emulator applies at CreateRole.
  const controls = controlChecks(statement, federatedId, prefix, where);

  if (!actionMatches(statement, WEB_IDENTITY) || statement.conditions.length === 0) {
    out.push(...controls);
    out.push(...hygiene(statement, prefix, policy.version === "2012-10-17"));
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
      message: `${where} has no positive condition (StringEquals/StringLike) on ${tenancyKeys.join(" or ")}: ${shared ? `any ${profile.title} customer` : "any workload of this issuer"} with a token for the provider's audience can assume the role (the engine admits a token with ${profile.tenancyClaims.includes("aud") ? `aud "zz-attacker-audience"` : `sub "zz-attacker-subject"`}). Add StringEquals ${profile.tenancyClaims.includes("aud") ? `${audKey} with your own audience (client id)` : `${subKey} with the exact subject of the pipeline`}.`,
    });
  }
  out.push(...controls);

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
          const high = analysis.fields.some((f) => dims.includes(f.name) && f.readOnlyPhase === true);
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
    } else if (
      profile.ownerBoundSubjectKeys &&
      profile.platform?.subject?.parse(value) === undefined &&
      !value.startsWith("*")
    ) {
      // A customised subject (GitHub's OIDC subject customisation): the tenant is pinned only when the
      // template starts with an owner-bound key or an immutable id is pinned beside it.
      const first = value.split(":")[0]!;
      const ids = profile.immutableIds?.claims ?? [];
      const ownerPinnedById = !adm.admits(
        probe({
          [subKey]: [value.replaceAll("*", "x")],
          ...Object.fromEntries(ids.map((c) => [key(c), ["999999999"]])),
        }),
      );
      if (!profile.ownerBoundSubjectKeys.includes(first) && !ownerPinnedById) {
        raws.push({
          rule: "OIDC-009",
          severity: "high",
          message: `${where}: ${subKey} ${quote(value)} is a customised subject starting with "${first}", which any ${profile.title} organisation can produce with its own template. Start the template with ${profile.ownerBoundSubjectKeys[0]} (or ${ids[0]}) or add StringEquals ${key(ids[0] ?? "sub")}.`,
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
        ...(conditions.length === 1 &&
        !isNegated(conditions[0]!) &&
        conditions[0]!.operator.base.startsWith("String")
          ? {
              fix: {
                description: `Use ${conditions[0]!.operator.base}, without IfExists or a set qualifier.`,
                edits: [
                  {
                    op: "set-condition",
                    operator: conditions[0]!.operator.base,
                    key: conditions[0]!.key,
                    values: conditions[0]!.values,
                  },
                ],
              },
            }
          : {}),
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
    if (profile.tenantTag)
      anchorProbe[`aws:requesttag/${profile.tenantTag.toLowerCase()}`] = ["zz-attacker-organization"];
    const anchored = !adm.admits(probe(anchorProbe));
    // A controlled claim (GitHub's workflow) only narrows once the tenant is pinned: reported only when
    // nothing else pins it. Controlled session tags are reported either way.
    if (!anchored || !profile.controlled?.claims?.length) {
      out.push({
        rule: "OIDC-015",
        severity: anchored ? "medium" : "critical",
        message: `${where}: ${controlled.map((k) => byKey.get(k)![0]!.key).join(", ")} is chosen by the job or its configuration (any ${profile.title} customer can set the same value)${anchored ? "; the tenant is pinned elsewhere, so it only narrows" : " and nothing else pins the tenant"}. ${profile.controlledAdvice ? profile.controlledAdvice.replace("{sub}", subKey) : `Pin ${subKey} to the tenant instead.`}`,
      });
    }
  }

  // ---- audience (OIDC-016, -102) ----------------------------------------------------------------------------
  const expectedAudience = profile.audienceIsProviderKey ? prefix : profile.audiences[0];
  // A provider without an aud key (Facebook, Login with Amazon: app_id instead) has nothing to pin here.
  const hasAud = providerStandardKeys(prefix).includes("aud");
  if (hasAud && adm.admits(probe({ [audKey]: ["zz-other-audience"] }))) {
    const audTenancy = profile.tenancyClaims.includes("aud");
    out.push({
      rule: "OIDC-016",
      severity: audTenancy ? "critical" : "low",
      message: `${where} has no positive condition on ${audKey}: a token minted for another relying party registered on the provider (e.g. sigstore) is accepted. Add StringEquals ${audKey} ${quote(profile.audiences[0] ?? "<the audience your pipeline requests>")}.`,
      ...(expectedAudience !== undefined && conditionsOn(audKey).length === 0
        ? {
            fix: {
              description: `Add StringEquals ${audKey} "${expectedAudience}".`,
              edits: [
                {
                  op: "set-condition",
                  operator: "StringEquals",
                  key: `${prefix}:aud`,
                  values: [expectedAudience],
                },
              ],
            },
          }
        : {}),
    });
  } else {
    const expected = profile.audienceIsProviderKey ? [prefix] : profile.audiences;
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
      const hint = profile.audienceHint ?? "";
      out.push({
        rule: "OIDC-102",
        severity: "high",
        message: `${where}: ${audKey} must be ${values}, but ${profile.title} tokens carry ${expected.map(quote).join(" or ")}${hint}: STS denies the legitimate caller. Set ${audKey} to ${quote(expected[0]!)}.`,
        fix: {
          description: `Set ${audKey} to "${expected[0]!}".`,
          edits: [
            {
              op: "set-condition",
              operator: "StringEquals",
              key: conditionsOn(audKey)[0]!.key,
              values: [expected[0]!],
            },
          ],
        },
      });
    }
  }

  // ---- claims some callers lack (OIDC-103, -108) --------------------------------------------------------------
  out.push(...callerChecks({ statement, adm, profile, prefix, subValues, byKey, tagKeys, where, probe }));

  // ---- AWS's built-in providers (OIDC-030) ---------------------------------------------------------------------
  out.push(...builtinChecks(adm, profile, prefix, where, probe));

  // ---- hygiene (OIDC-101, -201, -202, -203) --------------------------------------------------------------------
  out.push(...hygiene(statement, prefix, policy.version === "2012-10-17"));
  return out;
}

/** Keys whose values the job (or whoever edits it) chooses (OIDC-015). */
function controlledKeys(prefix: string, profile: PlatformProfile): string[] {
  return [
    ...(profile.controlled?.claims ?? []).map((c) => `${prefix}:${c}`.toLowerCase()),
    ...(profile.controlled?.tags ?? []).map((t) => `aws:requesttag/${t}`.toLowerCase()),
  ];
}
