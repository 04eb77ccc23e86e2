import {
  type FieldRole,
  platformById,
  type SubjectFieldSpec,
  type SubjectLayout,
} from "../../platforms/index.js";
import { instantiate } from "./admission.js";
import type { PlatformId } from "./platform.js";

/**
 * Subject probes from the platforms' `sub` grammars (each record's `subject.parse`), used to build
 * probe subjects — never to decide: whether a probe is admitted is the policy engine's answer. From one `sub` value of a policy (a pattern or an
 * exact value) a grammar reads the fields the author meant (tenant, project, context…), makes an
 * "anchor" subject the value should admit, and then variants of the anchor that differ in one field:
 * another organisation, another repository of the same organisation, a pull request, another branch, a
 * name with a suffix glued on, the other run phase.
 */
export type { FieldRole };

export type ProbeKind =
  | "universal"
  | "other-tenant"
  | "lookalike-tenant"
  | "other-project"
  | "project-prefix"
  | "untrusted-context"
  | "other-context"
  | "context-prefix"
  | "dimension";

export interface SubjectField {
  readonly name: string;
  readonly role: FieldRole;
  readonly value: string;
  /** The value as written in the policy (a pattern), or undefined when a wildcard spanned it. */
  readonly written: string | undefined;
  /** A dimension whose other value is a read-only phase. */
  readonly readOnlyPhase?: boolean;
}

export interface SubjectProbe {
  readonly kind: ProbeKind;
  readonly subject: string;
  readonly field: string;
  /** What the probe stands for, for messages: "a pull request", "repository zz-other-repo". */
  readonly what: string;
}

export interface SubjectAnalysis {
  readonly anchor: string;
  readonly fields: readonly SubjectField[];
  readonly probes: readonly SubjectProbe[];
}

type FieldSpec = SubjectFieldSpec;

interface Layout {
  readonly specs: readonly FieldSpec[];
  readonly values: ReadonlyMap<string, { value: string; written: string | undefined }>;
  render(values: ReadonlyMap<string, string>): string;
}

const fill = (written: string | undefined, fallback: string): string => {
  if (written === undefined) return fallback;
  const text = instantiate(written);
  return text === "" ? fallback : text;
};

function analyse(layout: Layout, sharedIssuer: boolean): SubjectAnalysis {
  const fields: SubjectField[] = layout.specs.map((spec) => {
    const v = layout.values.get(spec.name);
    return {
      name: spec.name,
      role: spec.role,
      value: v?.value ?? spec.fallback,
      written: v?.written,
      ...(spec.readOnlyPhase ? { readOnlyPhase: true } : {}),
    };
  });
  const base = new Map(fields.map((f) => [f.name, f.value]));
  const variant = (changes: Record<string, string>) =>
    layout.render(new Map([...base, ...Object.entries(changes)]));
  const probes: SubjectProbe[] = [];
  const idLike = (value: string, name: string) => (value.includes("@") ? `${name}@424242` : name);

  // Everything the issuer could sign: every field changed (the tenant only where the issuer is shared).
  const everything: Record<string, string> = {};
  const everythingUntrusted: Record<string, string> = {};
  for (const spec of layout.specs) {
    const current = base.get(spec.name)!;
    if (spec.role === "tenant" && !sharedIssuer) continue;
    const replacement =
      spec.role === "context"
        ? (spec.others?.[0] ?? spec.untrusted?.[0] ?? "zz-context")
        : spec.role === "dimension"
          ? (spec.alternatives?.find((a) => a !== current) ?? current)
          : idLike(current, `zz-any-${spec.name.replaceAll("_", "-")}`);
    everything[spec.name] = replacement;
    everythingUntrusted[spec.name] =
      spec.role === "context" ? (spec.untrusted?.[0] ?? replacement) : replacement;
  }
  probes.push({
    kind: "universal",
    subject: variant(everything),
    field: "*",
    what: "any subject of the issuer",
  });
  probes.push({
    kind: "universal",
    subject: variant(everythingUntrusted),
    field: "*",
    what: "any subject of the issuer",
  });

  // A wildcard after a delimiter (`release/*`) is a deliberate subtree, not a name with a glued suffix.
  const isGlued = (name: string) => {
    const written = layout.values.get(name)?.written;
    return !(written?.endsWith("/*") || written?.endsWith(":*"));
  };
  /** A probe that changes one field; `what` names it, by default as "<field> <value>". */
  const probe = (kind: ProbeKind, field: string, value: string, what = `${field} ${value}`) =>
    probes.push({ kind, subject: variant({ [field]: value }), field, what });
  for (const spec of layout.specs) {
    const current = base.get(spec.name)!;
    if (spec.role === "tenant" && sharedIssuer) {
      probe("other-tenant", spec.name, idLike(current, "zz-attacker"));
      probe("lookalike-tenant", spec.name, `${current}-evil`);
    }
    if (spec.role === "project") {
      probe("other-project", spec.name, idLike(current, `zz-other-${spec.name.replaceAll("_", "-")}`));
      if (isGlued(spec.name)) probe("project-prefix", spec.name, `${current}-evil`);
    }
    if (spec.role === "context") {
      for (const u of spec.untrusted ?? []) if (u !== current) probe("untrusted-context", spec.name, u, u);
      for (const o of spec.others ?? []) if (o !== current) probe("other-context", spec.name, o, o);
      const glued = `${current}-evil`;
      if (isGlued(spec.name)) probe("context-prefix", spec.name, glued, glued);
    }
    if (spec.role === "dimension") {
      for (const a of spec.alternatives ?? []) if (a !== current) probe("dimension", spec.name, a);
    }
  }
  return { anchor: layout.render(base), fields, probes };
}

/** The analysis of one `sub` value for a platform, or undefined when the value has another shape. */
export function analyseSubject(
  platform: PlatformId,
  pattern: string,
  sharedIssuer: boolean,
): SubjectAnalysis | undefined {
  const layout = layoutFor(platform, pattern);
  return layout ? analyse(layout, sharedIssuer) : undefined;
}

/** The platform's grammar reads the pattern; lint fills the fields a wildcard left open. */
function layoutFor(platform: PlatformId, pattern: string): Layout | undefined {
  if (platform === "generic") return undefined;
  const read: SubjectLayout | undefined = platformById(platform).subject?.parse(pattern);
  if (!read) return undefined;
  const values = new Map<string, { value: string; written: string | undefined }>();
  for (const spec of read.specs) {
    if (!read.written.has(spec.name)) continue;
    const written = read.written.get(spec.name);
    values.set(spec.name, { value: fill(written, spec.fallback), written });
  }
  return { specs: read.specs, values, render: read.render };
}

/** Subjects of every shape, for issuers without a grammar: a statement admitting all of them admits
 * every subject (OIDC-003). */
export const GENERIC_UNIVERSAL = [
  "zz-attacker-subject",
  "repo:zz-attacker/zz:pull_request",
  "system:serviceaccount:zz:zz",
];
