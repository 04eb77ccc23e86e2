/**
 * IAM's wildcards: `*` matches any run of characters (including none, `/` and `:`), `?` exactly one.
 * There are no other metacharacters and no escapes inside a pattern; a literal `*` or `?` comes from
 * the policy variables `${*}` / `${?}`, which is why a pattern is a list of tokens, not a string.
 *
 * Hand-written (not a RegExp per pattern) so that patterns built per request from policy variables cost
 * no compilation, and matching stays linear for the patterns policies use.
 */
export type GlobToken = string | typeof STAR | typeof ONE;
export const STAR: unique symbol = Symbol("*");
export const ONE: unique symbol = Symbol("?");

/** Splits text into tokens, treating `*` and `?` as wildcards. */
export function globTokens(text: string, into: GlobToken[] = []): GlobToken[] {
  let literal = "";
  for (const ch of text) {
    if (ch === "*" || ch === "?") {
      if (literal) into.push(literal);
      literal = "";
      // Two stars in a row match what one does; keep one so matching stays linear.
      if (ch === "*" && into[into.length - 1] === STAR) continue;
      into.push(ch === "*" ? STAR : ONE);
    } else literal += ch;
  }
  if (literal) into.push(literal);
  return into;
}

export const hasWildcard = (tokens: readonly GlobToken[]): boolean =>
  tokens.some((t) => typeof t !== "string");

/**
 * Whether `value` matches the token pattern. Greedy with single-star backtracking (the classic
 * wildcard algorithm): O(n·m) worst case, linear for patterns whose stars are followed by literals.
 * `?` counts code points, as IAM does with Unicode values.
 */
export function globMatch(tokens: readonly GlobToken[], value: string): boolean {
  let ti = 0;
  let vi = 0;
  let starTi = -1;
  let starVi = 0;
  while (vi < value.length || ti < tokens.length) {
    const token = tokens[ti];
    if (token === STAR) {
      starTi = ti++;
      starVi = vi;
      continue;
    }
    if (vi < value.length) {
      if (token === ONE) {
        vi += codePointLength(value, vi);
        ti++;
        continue;
      }
      if (typeof token === "string" && value.startsWith(token, vi)) {
        vi += token.length;
        ti++;
        continue;
      }
    }
    if (starTi < 0 || starVi >= value.length) return false;
    // Let the last star swallow one more character and retry from just after it.
    starVi += codePointLength(value, starVi);
    vi = starVi;
    ti = starTi + 1;
  }
  return true;
}

function codePointLength(value: string, at: number): number {
  const c = value.charCodeAt(at);
  return c >= 0xd800 && c <= 0xdbff && at + 1 < value.length ? 2 : 1;
}

/** Convenience for a pattern written as text, e.g. an Action: `sts:AssumeRole*`. */
export function globMatchText(pattern: string, value: string): boolean {
  return globMatch(globTokens(pattern), value);
}

/**
 * A pattern compiled to the cheapest test that decides it: the shapes trust policies use almost
 * exclusively (`prefix*`, `*suffix`, `prefix*suffix`, `*infix*`, exact) become plain string checks;
 * anything else falls back to globMatch. Measured in bench/policy-engine.ts.
 */
export function compileGlob(tokens: readonly GlobToken[]): (value: string) => boolean {
  const [a, b, c] = tokens;
  const lit = (t: GlobToken | undefined): t is string => typeof t === "string";
  switch (tokens.length) {
    case 0:
      return (v) => v === "";
    case 1:
      if (lit(a)) return (v) => v === a;
      if (a === STAR) return () => true;
      break;
    case 2:
      if (lit(a) && b === STAR) return (v) => v.startsWith(a);
      if (a === STAR && lit(b)) return (v) => v.endsWith(b);
      break;
    case 3:
      if (lit(a) && b === STAR && lit(c))
        return (v) => v.length >= a.length + c.length && v.startsWith(a) && v.endsWith(c);
      if (a === STAR && lit(b) && c === STAR) return (v) => v.includes(b);
      break;
  }
  return (v) => globMatch(tokens, v);
}
