import { conditionHolds } from "../../../core/policy/index.js";
import type { Condition, Statement } from "../../../core/policy/types.js";
import { renderTemplate } from "../../../platforms/index.js";
import { type Admission, isLike, isPositive, type Probe } from "../admission.js";
import type { PlatformProfile } from "../platform.js";
import { analyseSubject, type SubjectAnalysis } from "../subjects.js";
import { operatorOf, quote, type Raw } from "./hygiene.js";

/** What checkOidcStatement has already worked out about one statement. */
export interface CallerContext {
  readonly statement: Statement;
  readonly adm: Admission;
  readonly profile: PlatformProfile;
  readonly prefix: string;
  readonly subValues: readonly string[];
  readonly byKey: ReadonlyMap<string, Condition[]>;
  readonly tagKeys: readonly Condition[];
  readonly where: string;
  readonly probe: (entries: Record<string, readonly string[] | undefined>) => Probe;
}

/**
 * Conditions on claims some legitimate callers' tokens lack, or on values that change every run
 * (OIDC-103, -108): the role denies the caller it was written for.
 */
export function callerChecks(ctx: CallerContext): Raw[] {
  const { statement, adm, profile, prefix, subValues, byKey, tagKeys, where, probe } = ctx;
  const out: Raw[] = [];
  const key = (claim: string) => `${prefix}:${claim}`.toLowerCase();
  const subKey = key("sub");
  const conditionsOn = (k: string) => statement.conditions.filter((c) => c.key.toLowerCase() === k);
  const context = profile.contextClaim;
  const contextKey = context ? key(context.claim) : undefined;
  if (context && contextKey && byKey.get(contextKey)?.some(isPositive)) {
    // The claim is in the token only when the job has that context, and then `sub` takes its form.
    const env = adm.witnessOf(contextKey)?.[0] ?? "production";
    const anchors = subValues
      .map((v) => analyseSubject(profile.id, v, true))
      .filter((a): a is SubjectAnalysis => a !== undefined);
    const formOf = (values: Record<string, string>) =>
      renderTemplate(context.subjectTemplate, { ...values, [context.claim]: env });
    const envForm = anchors.map((a) => formOf(Object.fromEntries(a.fields.map((f) => [f.name, f.value]))));
    const envAdmitted = envForm.some((s) => adm.admits(probe({ [subKey]: [s] })));
    const marker = `:${context.claim}:`;
    if (anchors.length > 0 && !envAdmitted) {
      const placeholders = Object.fromEntries(anchors[0]!.fields.map((f) => [f.name, `<${f.name}>`]));
      out.push({
        rule: "OIDC-103",
        severity: "high",
        message: `${where} requires ${contextKey} = ${quote(env)}, but a job that uses an ${context.claim} gets sub "…${marker}${env}", which ${subKey} does not admit: nobody can assume the role. Pin ${subKey} to "${formOf(placeholders)}".`,
      });
    } else if (
      envAdmitted &&
      adm.admits(probe({ [subKey]: [anchors[0]!.anchor], [contextKey]: undefined })) === false &&
      anchors.some((a) => !a.anchor.includes(marker))
    ) {
      out.push({
        rule: "OIDC-108",
        severity: "low",
        message: `${where} requires ${contextKey}, which tokens of jobs without an ${context.claim} do not carry, while ${subKey} also admits such jobs: they are denied. Pin ${subKey} to the ${context.claim} form instead.`,
      });
    }
  }
  const perRun = profile.perRunSubject;
  if (perRun) {
    for (const c of conditionsOn(subKey).filter((c) => !isLike(c) && isPositive(c))) {
      for (const v of c.values) {
        if (analyseSubject(profile.id, v, false)) {
          out.push({
            rule: "OIDC-103",
            severity: "high",
            message: `${where}: ${operatorOf(c)} ${subKey} ${quote(v)} pins ${perRun.what}, which changes on every run: the next run is denied. ${perRun.advice}`,
          });
        }
      }
    }
  }
  if (profile.sessionTags === "never") {
    // Every condition the engine decides false for an absent key (String*, Bool, Numeric*, …), not only
    // the String ones: the role is as unusable.
    for (const c of tagKeys.filter((c) => !conditionHolds(c, new Map(), true))) {
      out.push({
        rule: "OIDC-108",
        severity: "high",
        message: `${where}: ${operatorOf(c)} ${c.key} needs a session tag, but ${profile.title} tokens carry none: the key is absent and the role is unusable. Remove the condition or scope through ${subKey}.`,
        fix: {
          description: `Remove the condition on ${c.key}, which ${profile.title} tokens never carry.`,
          edits: [{ op: "remove-condition", key: c.key }],
        },
      });
    }
  }
  return out;
}
