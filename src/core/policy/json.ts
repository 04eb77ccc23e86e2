import { MAX_JSON_DEPTH } from "../../lib/json.js";
import { IAM_MESSAGES, PolicyError } from "./errors.js";

/**
 * A strict JSON reader for policy documents. Hand-written because JSON.parse silently keeps the last of
 * two members with the same name (a policy with two "Condition" blocks would lose one without a word)
 * and reports positions as offsets only; here both become a MalformedPolicyDocument saying where.
 * Objects come back as plain records in member order, every member an own data property: a member
 * named "__proto__" stays an ordinary (and, to IAM, unknown) member instead of replacing the record's
 * prototype, as `out[key] = …` would do (ECMA-262 B.3.1, the `__proto__` accessor), so it cannot hide a
 * Statement or a Condition block from validation. This is what JSON.parse does too (CreateDataProperty).
 * The reader recurses, so nesting is bounded (MAX_JSON_DEPTH levels): a 10 KB document of brackets
 * would otherwise overflow the stack and turn into a 500 instead of IAM's 400.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function parseJsonStrict(text: string): Json {
  let i = 0;
  let depth = 0;
  const fail = (what: string, at = i): never => {
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - before.lastIndexOf("\n");
    throw new PolicyError(IAM_MESSAGES.invalidJson, `${what} at line ${line}, column ${column}`);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const skip = <T>(n: number, result: T): T => {
    i += n;
    return result;
  };
  const describe = (at: number) => (at >= text.length ? "unexpected end of input" : unexpected(text, at));

  /** After a member or an element: true past a `,` (another one follows), false past `close` (the end). */
  const more = (close: "}" | "]"): boolean => {
    ws();
    if (text[i] === ",") return skip(1, true);
    if (text[i] === close) return skip(1, false);
    return fail(`${describe(i)}, expected "," or "${close}"`);
  };
  const nested = (read: () => Json): Json => {
    if (++depth > MAX_JSON_DEPTH) {
      throw new PolicyError(
        IAM_MESSAGES.invalidJson,
        `nesting deeper than ${MAX_JSON_DEPTH} levels at ${position(text, i)}`,
      );
    }
    const result = read();
    depth--;
    return result;
  };
  const value = (): Json => {
    ws();
    const c = text[i];
    if (c === "{") return nested(object);
    if (c === "[") return nested(array);
    if (c === '"') return string();
    if (c === "t" && text.startsWith("true", i)) return skip(4, true);
    if (c === "f" && text.startsWith("false", i)) return skip(5, false);
    if (c === "n" && text.startsWith("null", i)) return skip(4, null);
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return number();
    return fail(describe(i));
  };
  const object = (): Json => {
    const out: { [key: string]: Json } = {};
    const seen = new Set<string>();
    i++;
    ws();
    if (text[i] === "}") return skip(1, out);
    for (;;) {
      ws();
      if (text[i] !== '"') return fail(`${describe(i)}, expected a member name`);
      const at = i;
      const key = string();
      if (seen.has(key))
        throw new PolicyError(IAM_MESSAGES.syntax, `duplicate member "${key}" at ${position(text, at)}`);
      seen.add(key);
      ws();
      if (text[i] !== ":") return fail(`${describe(i)}, expected ":"`);
      i++;
      const member = value();
      // Plain assignment keeps V8's fast object shapes (defineProperty on every member made parsing 1.4×
      // slower in bench:policy); only the one name that is an accessor on Object.prototype needs it.
      if (key === "__proto__")
        Object.defineProperty(out, key, {
          value: member,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = member;
      if (!more("}")) return out;
    }
  };
  const array = (): Json => {
    const out: Json[] = [];
    i++;
    ws();
    if (text[i] === "]") return skip(1, out);
    do out.push(value());
    while (more("]"));
    return out;
  };
  const string = (): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) return fail("unterminated string", start);
      if (c === 0x22) break;
      if (c < 0x20) return fail("control character in string");
      i += c === 0x5c ? 2 : 1;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail("invalid escape in string", start);
    }
  };
  const number = (): number => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match) return fail(describe(i));
    i += match[0].length;
    return Number(match[0]);
  };

  const result = value();
  ws();
  if (i < text.length) fail(`${describe(i)} after the document`);
  return result;
}

/**
 * The character at `at`, named so a reader can see it: an invisible one (a byte-order mark a Windows editor
 * wrote, a no-break space pasted from a web page) as its code point, since quoting it shows nothing.
 */
function unexpected(text: string, at: number): string {
  const c = text.codePointAt(at)!;
  if (c === 0xfeff) {
    return `unexpected U+FEFF, a byte-order mark${at === 0 ? " at the start of the file" : ""} (save the policy as UTF-8 without BOM)`;
  }
  // ASCII shows as itself or as JSON's escape ("\f"); anything else by its code point.
  if (c < 0x7f) return `unexpected ${JSON.stringify(String.fromCodePoint(c))}`;
  const name = c === 0xa0 ? " (a no-break space)" : "";
  return `unexpected U+${c.toString(16).toUpperCase().padStart(4, "0")}${name}`;
}

function position(text: string, at: number): string {
  const before = text.slice(0, at);
  return `line ${before.split("\n").length}, column ${at - before.lastIndexOf("\n")}`;
}
