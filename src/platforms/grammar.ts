import type { SubjectFieldSpec, SubjectLayout } from "./types.js";

/**
 * Shared readers for `sub` grammars. A grammar reads one `sub` value of a policy (exact or a pattern)
 * into the fields the author meant; lint fills open fields and builds probes from the result.
 */

/** Reads `key:value:key:value…` tokens. A wildcard token where a key should be spans the rest. */
export function readPairs(
  tokens: readonly string[],
  keys: readonly string[],
  multiTokenValues = false,
): { pairs: [string, string | undefined][]; ok: boolean } {
  const pairs: [string, string | undefined][] = [];
  let i = 0;
  while (i < tokens.length) {
    const key = tokens[i]!;
    if (!keys.includes(key)) return { pairs, ok: key.includes("*") || key.includes("?") };
    // One token, or (where values contain the separator, as CircleCI's vcs-origin) up to the next key.
    let j = Math.min(i + 2, tokens.length);
    if (multiTokenValues) while (j < tokens.length && !keys.includes(tokens[j]!)) j++;
    const value = j > i + 1 ? tokens.slice(i + 1, j).join(SEPARATOR_PLACEHOLDER) : undefined;
    pairs.push([key, value]);
    i = j;
  }
  return { pairs, ok: true };
}
const SEPARATOR_PLACEHOLDER = "\u0000";

/** A `key<sep>value<sep>key<sep>value…` grammar (HCP Terraform, Buildkite, Spacelift, CircleCI, keyless). */
export function keyValueLayout(
  pattern: string,
  specs: readonly SubjectFieldSpec[],
  separator: string,
  options: { allowLeadingWildcard: boolean },
): SubjectLayout | undefined {
  const keyOf = new Map<string, string>();
  for (const spec of specs) {
    keyOf.set(spec.name, spec.name);
    for (const alias of spec.aliases ?? []) keyOf.set(alias, spec.name);
  }
  let tokens = pattern.split(separator);
  let leading = "";
  if (options.allowLeadingWildcard && tokens[0] === "*" && tokens[1] !== undefined && keyOf.has(tokens[1])) {
    tokens = tokens.slice(1);
    leading = separator; // the `*` admits the empty string: the anchor starts with the separator
  }
  const read = readPairs(tokens, [...keyOf.keys()], separator === "/");
  if (!read.ok || read.pairs.length === 0) return undefined;
  const written = new Map<string, string | undefined>();
  const writtenKey = new Map<string, string>();
  for (const [key, raw] of read.pairs) {
    const name = keyOf.get(key)!;
    written.set(name, raw?.replaceAll(SEPARATOR_PLACEHOLDER, separator));
    writtenKey.set(name, key);
  }
  const present = read.pairs.map(([k]) => keyOf.get(k)!);
  // Fields a trailing wildcard spanned follow in the grammar's order; a leading wildcard may hide fields
  // before the first written key, which the anchor leaves out (the `*` admits their absence).
  const spanned = specs
    .map((s) => s.name)
    .filter(
      (n) =>
        !present.includes(n) && !specs.find((s) => s.name === n)?.optional && isAfterAll(n, present, specs),
    );
  const order = [...present, ...spanned];
  const used = specs.filter((s) => order.includes(s.name));
  return {
    specs: used,
    written,
    render: (v) =>
      leading + order.map((n) => `${writtenKey.get(n) ?? n}${separator}${v.get(n)}`).join(separator),
  };
}

function isAfterAll(name: string, present: readonly string[], specs: readonly SubjectFieldSpec[]): boolean {
  const index = specs.findIndex((s) => s.name === name);
  return present.every((p) => specs.findIndex((s) => s.name === p) < index);
}

/** Renders a `{placeholder}` template from plain values (placeholders without a value stay as written). */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([\w@-]+)\}/g, (whole, name: string) => values[name] ?? whole);
}
