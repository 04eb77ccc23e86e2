import { problem } from "../errors.js";

/**
 * Subject templates: literal text and `{placeholder}`s, e.g.
 * `org:{organization}:project:{project}:env:{environment}:phase:{phase}`.
 *
 * Placeholders name variables the profile provides (claims/profiles.ts). `{name@id}` renders the
 * immutable form `name@id` (as GitHub's 2026 subjects do) for variables that have an id.
 *
 * The rule that keeps subjects unambiguous: the template is cut into segments at `:`; a value may contain
 * neither `:` nor any punctuation that separates two placeholders of its segment (so in `{owner}/{repo}`
 * neither may contain `/`), nor `@` in an `@id` rendering; and it may not be empty. Such values are refused,
 * never escaped or trimmed, so two different runs can never render the same subject.
 */
export const SEPARATOR = ":";
/** Spacelift's template alphabet plus `@`, `.`, `=` (for GitHub-style `key:value` and immutable forms). */
const TEMPLATE_CHARS = /^[A-Za-z0-9\-_:/|{}@.=]*$/;
export const MAX_TEMPLATE_LENGTH = 1000;
export const MAX_SUBJECT_LENGTH = 2048;

type Part = { kind: "literal"; text: string } | { kind: "var"; name: string; withId: boolean };
export interface SubjectTemplate {
  readonly source: string;
  readonly segments: readonly (readonly Part[])[];
}

/** A variable's value, and its immutable id where it has one. */
export interface SubjectVariable {
  readonly value: string;
  readonly id?: string;
}
export type SubjectVariables = Readonly<Record<string, SubjectVariable>>;

const parsed = new Map<string, SubjectTemplate>();

/** Parses (and remembers: templates are few and parsed on every mint) a template. */
export function parseTemplate(source: string, known: readonly string[]): SubjectTemplate {
  const cacheKey = `${known.join(",")}\n${source}`;
  const hit = parsed.get(cacheKey);
  if (hit) return hit;
  const template = parseTemplateUncached(source, known);
  if (parsed.size < 1000) parsed.set(cacheKey, template);
  return template;
}

function parseTemplateUncached(source: string, known: readonly string[]): SubjectTemplate {
  const bad = (why: string) => problem("invalid-template", `subject template "${source}": ${why}`);
  if (source.length === 0) throw bad("it is empty");
  if (source.length > MAX_TEMPLATE_LENGTH) throw bad(`it is longer than ${MAX_TEMPLATE_LENGTH} characters`);
  if (!TEMPLATE_CHARS.test(source))
    throw bad("only A-Z a-z 0-9 - _ : / | . = @ and {placeholders} are allowed");
  const segments = source.split(SEPARATOR).map((segment) => {
    const parts: Part[] = [];
    const re = /\{([^{}]*)\}|([^{}]+)|([{}])/g;
    for (let m = re.exec(segment); m; m = re.exec(segment)) {
      if (m[3]) throw bad(`unbalanced "${m[3]}"`);
      if (m[2] !== undefined) {
        parts.push({ kind: "literal", text: m[2] });
        continue;
      }
      const raw = m[1] ?? "";
      const withId = raw.endsWith("@id");
      const name = withId ? raw.slice(0, -3) : raw;
      if (!known.includes(name)) throw bad(`unknown placeholder {${raw}}; known: ${known.join(", ")}`);
      const prev = parts[parts.length - 1];
      if (prev?.kind === "var") throw bad(`{${prev.name}} and {${raw}} touch: nothing would tell them apart`);
      parts.push({ kind: "var", name, withId });
    }
    parts.forEach((p, i) => {
      const between = p.kind === "literal" && parts[i - 1]?.kind === "var" && parts[i + 1]?.kind === "var";
      if (between && /^[A-Za-z0-9]*$/.test(p.text)) {
        throw bad(`"${p.text}" between two placeholders needs a punctuation character to separate them`);
      }
    });
    return parts;
  });
  return { source, segments };
}

export function renderSubject(template: SubjectTemplate, vars: SubjectVariables): string {
  const out = template.segments.map((parts) => {
    // Literal punctuation between two placeholders of the segment separates them: neither may contain it.
    const forbidden = new Set<string>([SEPARATOR]);
    parts.forEach((p, i) => {
      const between = p.kind === "literal" && parts[i - 1]?.kind === "var" && parts[i + 1]?.kind === "var";
      if (between) for (const ch of p.text) if (!/[A-Za-z0-9]/.test(ch)) forbidden.add(ch);
    });
    return parts
      .map((p) => {
        if (p.kind === "literal") return p.text;
        const v = vars[p.name];
        if (!v || v.value === "") {
          throw problem(
            "ambiguous-subject",
            `the subject needs {${p.name}} but the run has no value for it`,
            {
              placeholder: p.name,
            },
          );
        }
        const bad = [...forbidden, ...(p.withId ? ["@"] : [])].find((ch) => v.value.includes(ch));
        if (bad !== undefined) {
          throw problem(
            "ambiguous-subject",
            `{${p.name}} is "${v.value}", which contains "${bad}", a separator of the subject "${template.source}"; ` +
              "rename it or change the template (values are never escaped)",
            { placeholder: p.name, value: v.value, separator: bad },
          );
        }
        if (!p.withId) return v.value;
        if (!v.id) throw problem("invalid-template", `{${p.name}@id}: ${p.name} has no immutable id`);
        return `${v.value}@${v.id}`;
      })
      .join("");
  });
  const sub = out.join(SEPARATOR);
  if (sub.length > MAX_SUBJECT_LENGTH) {
    throw problem(
      "ambiguous-subject",
      `the subject would be ${sub.length} characters; the limit is ${MAX_SUBJECT_LENGTH}`,
    );
  }
  return sub;
}
