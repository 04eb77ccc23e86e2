import { providerSpecificClaims, renderTemplate } from "../../../platforms/index.js";
import { type Admission, hasWildcard, type Probe } from "../admission.js";
import type { PlatformProfile } from "../platform.js";
import type { SubjectAnalysis } from "../subjects.js";
import { quote, type Raw } from "./hygiene.js";

/**
 * Names that can be re-registered or are not unique (OIDC-013, -014, -017): a subject that pins a
 * tenant or project by name where the platform has an immutable id, or by a slug that is not unique.
 */
export function identityChecks(
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
      return out;
    }
  }
  const ids = profile.immutableIds;
  if (ids && !field("owner")?.value.includes("@")) {
    const attacker = ["999999999"];
    // Only keys STS sets for this very provider: GitLab's ids exist for gitlab.com, not for a
    // self-managed instance, and advising them there would lock everyone out.
    const available = providerSpecificClaims(prefix);
    const idClaims = ids.claims.filter((c) => available.includes(c));
    const byId = probe({
      ...at,
      ...Object.fromEntries(idClaims.map((c) => [key(c), attacker])),
      ...Object.fromEntries((ids.tags ?? []).map((t) => [`aws:requesttag/${t}`.toLowerCase(), attacker])),
    });
    // Only what the policy itself says: a field the policy leaves open (a wildcard) stays a placeholder,
    // never the probe's stand-in value.
    const written = (name: string) => {
      const w = field(name)?.written;
      return w !== undefined && !hasWildcard(w) ? w : `<${name}>`;
    };
    if (adm.admits(byId) && idClaims.length === 0 && (ids.tags ?? []).length === 0) {
      // One rule on every platform, the wording from the platform's record: where AWS gives no id key
      // there is nothing to add to the policy, only who can re-create the name to control.
      out.push({
        rule: "OIDC-013",
        severity: ids.withoutIdKey.severity,
        message: `${where}: ${cond} pins ${ids.what}. AWS provides no immutable-id condition key for provider ${prefix}, so no condition can pin it by id: ${ids.withoutIdKey.advice}`,
      });
    } else if (adm.admits(byId)) {
      const advice = ids.advice.replace(/\{([\w-]+)\}/g, (_, name: string) =>
        ids.claims.includes(name) ? key(name) : written(name),
      );
      out.push({
        rule: "OIDC-013",
        severity: projectWide ? "high" : "medium",
        message: `${where}: ${cond} pins ${ids.what}. ${advice}`,
      });
    }
  }
  const nonUnique = profile.nonUniqueField;
  const slug = nonUnique ? field(nonUnique.field)?.written : undefined;
  if (nonUnique && slug !== undefined && !hasWildcard(slug)) {
    out.push({
      rule: "OIDC-017",
      severity: "medium",
      message: `${where}: ${cond} pins ${nonUnique.what} "${slug}", which is not unique: ${nonUnique.advice}`,
    });
  }
  const scoped = profile.scopedName;
  const template = profile.platform?.subject?.defaultTemplate;
  if (scoped && template) {
    // The same name in another scope (a service account in another namespace), rendered by the
    // platform's own template.
    const name = field(scoped.name);
    const elsewhere = renderTemplate(template, {
      [scoped.scope]: "zz-other-scope",
      [scoped.name]: name?.value ?? "",
    });
    const scopeOpen = adm.admitsWithOnly(subKey, value, probe({ [subKey]: [elsewhere] }));
    if (scopeOpen && name?.written && !hasWildcard(name.written)) {
      out.push({
        rule: "OIDC-017",
        severity: "medium",
        message: `${where}: ${cond} pins ${scoped.what} "${name.written}" in any ${scoped.scope}: ${scoped.advice}`,
      });
    }
  }
  return out;
}
