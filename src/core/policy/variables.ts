import { type GlobToken, globTokens } from "./glob.js";
import type { RequestContext } from "./types.js";

/**
 * Policy variables (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html): `${aws:username}`, `${<P>:sub}`, with a default
 * `${aws:PrincipalTag/team, 'company-wide'}`, and the escapes `${*}`, `${?}`, `${$}`. Substituted only
 * under Version 2012-10-17, only in String*, Arn* operators and Resource, and only from single-valued
 * keys. A value whose variable cannot be resolved (absent key, no default, or a multivalued key) is
 * null: it matches nothing, so a negated operator holds against it, as AWS says.
 *
 * "Multivalued" is a property of the key, not of how many values one request happens to carry: AWS says
 * a multivalued key (aws:TagKeys with one tag, an `amr` with one entry) cannot be used as a policy
 * variable (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html),
 * so such a variable is unresolved even with one value, and its default (if any) applies.
 *
 * The default needs AWS's grammar exactly: the key, a comma and one space, then the value in single
 * quotes ("separate the variable text and the default value with a comma and space"). Anything else
 * (`${aws:username,'x'}`) is not a variable and stays literal text, as any other malformed `${…}`.
 */
export type ValuePart =
  | { readonly kind: "text"; readonly text: string }
  /** An escape (`${*}` etc.) or other text that must match literally even in a Like operator. */
  | { readonly kind: "literal"; readonly text: string }
  | {
      readonly kind: "variable";
      readonly key: string;
      readonly lowerKey: string;
      readonly fallback: string | undefined;
    };

const VARIABLE = /\$\{([^}]*)\}/g;
const ESCAPES: Record<string, string> = { "*": "*", "?": "?", $: "$" };

/** Splits a policy value into parts; a value without `${` is one text part (the fast path). */
export function parseValue(value: string): readonly ValuePart[] {
  if (!value.includes("${")) return [{ kind: "text", text: value }];
  const parts: ValuePart[] = [];
  let last = 0;
  for (const match of value.matchAll(VARIABLE)) {
    const at = match.index;
    if (at > last) parts.push({ kind: "text", text: value.slice(last, at) });
    last = at + match[0].length;
    const body = (match[1] ?? "").trim();
    const escaped = ESCAPES[body];
    if (escaped !== undefined) {
      parts.push({ kind: "literal", text: escaped });
      continue;
    }
    const withDefault = /^([^,\s]+), '([^']*)'$/.exec(body);
    const key = withDefault ? withDefault[1]! : body;
    if (key === "" || /\s|,/.test(key)) {
      // Not a well-formed variable: IAM keeps it as text.
      parts.push({ kind: "text", text: match[0] });
      continue;
    }
    parts.push({
      kind: "variable",
      key,
      lowerKey: key.toLowerCase(),
      fallback: withDefault ? withDefault[2] : undefined,
    });
  }
  if (last < value.length) parts.push({ kind: "text", text: value.slice(last) });
  return parts;
}

/**
 * Whether a written policy value holds a `*` or `?` that a Like operator treats as a wildcard.
 * `variables` is whether policy variables apply (Version 2012-10-17): then the escapes `${*}` and `${?}`
 * are a literal `*`/`?` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars),
 * and a variable's value is compared literally; without them the text is all there is.
 */
export function hasWrittenWildcard(value: string, variables: boolean): boolean {
  if (!variables) return value.includes("*") || value.includes("?");
  return parseValue(value).some((p) => p.kind === "text" && (p.text.includes("*") || p.text.includes("?")));
}

export const isStatic = (parts: readonly ValuePart[]): boolean =>
  parts.length === 1 && parts[0]!.kind === "text";

/**
 * Keys AWS documents as multivalued (lower case): the global ones
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html) and STS's
 * transitive tag keys; any provider's `:amr` and `:oaud` (web identity,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).
 */
const MULTIVALUED = new Set([
  "aws:tagkeys",
  "aws:calledvia",
  "aws:principalorgpaths",
  "aws:principalservicenameslist",
  "aws:resourceorgpaths",
  "aws:sourceorgpaths",
  "sts:transitivetagkeys",
]);

/** Whether a context key (lower case) is multivalued by definition, whatever one request holds. */
export function isMultivaluedKey(lowerKey: string): boolean {
  return MULTIVALUED.has(lowerKey) || lowerKey.endsWith(":amr") || lowerKey.endsWith(":oaud");
}

function resolve(part: ValuePart & { kind: "variable" }, context: RequestContext): string | null {
  const values = context.get(part.lowerKey);
  if (values !== undefined && values.length === 1 && !isMultivaluedKey(part.lowerKey)) return values[0]!;
  return part.fallback ?? null;
}

/** The value as a plain string (for exact operators), or null when a variable cannot be resolved. */
export function substitute(parts: readonly ValuePart[], context: RequestContext): string | null {
  let out = "";
  for (const part of parts) {
    if (part.kind === "variable") {
      const value = resolve(part, context);
      if (value === null) return null;
      out += value;
    } else out += part.text;
  }
  return out;
}

/**
 * The value as a wildcard pattern (for Like operators): `*`/`?` written in the policy are wildcards;
 * escapes and substituted values match literally. AWS does not say whether a `*` inside a substituted
 * claim is a wildcard; keyless makes it literal, so a token cannot widen the policy that tests it.
 */
export function substitutePattern(parts: readonly ValuePart[], context: RequestContext): GlobToken[] | null {
  const tokens: GlobToken[] = [];
  for (const part of parts) {
    if (part.kind === "text") globTokens(part.text, tokens);
    else {
      const text = part.kind === "literal" ? part.text : resolve(part, context);
      if (text === null) return null;
      if (text === "") continue;
      const previous = tokens[tokens.length - 1];
      if (typeof previous === "string") tokens[tokens.length - 1] = previous + text;
      else tokens.push(text);
    }
  }
  return tokens;
}
