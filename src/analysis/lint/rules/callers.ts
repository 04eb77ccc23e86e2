import type { Condition, Statement } from "../../../core/policy/types.js";
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
  return out;
}
