import { BlockList, isIP } from "node:net";
import { compileGlob, type GlobToken } from "./glob.js";
import type { BaseOperator, RequestContext } from "./types.js";
import { substitute, substitutePattern, type ValuePart } from "./variables.js";

/**
 * Each base operator as a positive comparison of one request value against one policy value, plus a
 * flag for its negated twin. Negation is applied to the whole value list (`StringNotEquals [a, b]` is
 * "equals neither"), as IAM's multi-value rule says; see conditions.ts.
 *
 * `prepare` turns a policy value into what `test` compares against, once per policy for static values,
 * once per request for values with policy variables. `undefined` means the policy value can never match
 * (a Numeric value that is not a number, an unresolvable variable).
 */
export interface OperatorSpec<P> {
  readonly negated: boolean;
  /** Whether `${...}` in values is substituted (String* and Arn* only). */
  readonly variables: boolean;
  prepare(parts: readonly ValuePart[], context: RequestContext): P | undefined;
  test(requestValue: string, policyValue: P): boolean;
}

const exact: Omit<OperatorSpec<string>, "negated"> = {
  variables: true,
  prepare: (parts, context) => substitute(parts, context) ?? undefined,
  test: (value, policy) => value === policy,
};

const ignoreCase: Omit<OperatorSpec<string>, "negated"> = {
  variables: true,
  prepare: (parts, context) => substitute(parts, context)?.toLowerCase(),
  test: (value, policy) => value.toLowerCase() === policy,
};

type Matcher = (value: string) => boolean;

const like: Omit<OperatorSpec<Matcher>, "negated"> = {
  variables: true,
  prepare: (parts, context) => {
    const tokens = substitutePattern(parts, context);
    return tokens === null ? undefined : compileGlob(tokens);
  },
  test: (value, matches) => matches(value),
};

/** ARNs are compared component by component: a wildcard cannot reach across the first five colons. */
const arn: Omit<OperatorSpec<Matcher[]>, "negated"> = {
  variables: true,
  prepare: (parts, context) => {
    const tokens = substitutePattern(parts, context);
    if (tokens === null) return undefined;
    const segments = splitArnPattern(tokens);
    return segments.length === 6 ? segments.map(compileGlob) : undefined;
  },
  test: (value, segments) => {
    const parts = splitArn(value);
    if (parts === undefined) return false;
    for (let i = 0; i < 6; i++) if (!segments[i]!(parts[i]!)) return false;
    return true;
  },
};

export function splitArn(value: string): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const colon = value.indexOf(":", start);
    if (colon < 0) return undefined;
    out.push(value.slice(start, colon));
    start = colon + 1;
  }
  out.push(value.slice(start));
  return out[0] === "arn" ? out : undefined;
}

function splitArnPattern(tokens: readonly GlobToken[]): GlobToken[][] {
  const segments: GlobToken[][] = [[]];
  for (const token of tokens) {
    if (typeof token !== "string" || segments.length === 6) {
      segments[segments.length - 1]!.push(token);
      continue;
    }
    const pieces = token.split(":");
    pieces.forEach((piece, i) => {
      if (i > 0) {
        if (segments.length < 6) segments.push([]);
        else segments[5]!.push(":");
      }
      if (piece) segments[segments.length - 1]!.push(piece);
    });
  }
  return segments;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const toNumber = (text: string): number | undefined => (NUMBER.test(text.trim()) ? Number(text) : undefined);

/**
 * An ordered comparison (numeric, date): both sides read with `read`, and a side it cannot read never
 * matches. `${…}` in their policy values stays literal text (only String* and Arn* substitute it).
 */
function ordered(
  read: (text: string) => number | undefined,
  compare: (a: number, b: number) => boolean,
): Omit<OperatorSpec<number>, "negated"> {
  return {
    variables: false,
    prepare: (parts) => read(literalText(parts)),
    test: (value, policy) => {
      const n = read(value);
      return n !== undefined && compare(n, policy);
    },
  };
}

const numeric = (compare: (a: number, b: number) => boolean) => ordered(toNumber, compare);

/** Dates are ISO 8601 (any form Date.parse accepts, e.g. `2026-01-01T00:00:00Z`) or epoch seconds. */
export function toEpochMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

const date = (compare: (a: number, b: number) => boolean) => ordered(toEpochMs, compare);

const bool: Omit<OperatorSpec<string>, "negated"> = {
  variables: false,
  prepare: (parts) => literalText(parts).toLowerCase(),
  test: (value, policy) => value.toLowerCase() === policy,
};

const binary: Omit<OperatorSpec<Buffer>, "negated"> = {
  variables: false,
  prepare: (parts) => Buffer.from(literalText(parts), "base64"),
  test: (value, policy) => Buffer.from(value, "base64").equals(policy),
};

/**
 * CIDR matching; a bare address is a /32 (or /128). IPv4 is compared with integer masks, written here
 * because node's BlockList.check costs about a microsecond a call (bench/policy-engine.ts); IPv6, rare
 * in trust policies, goes through BlockList.
 */
type IpRange =
  | { readonly family: 4; readonly network: number; readonly mask: number }
  | { readonly family: 6; readonly list: BlockList };

function ipv4ToInt(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let out = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out = out * 256 + n;
  }
  return out;
}

const ip: Omit<OperatorSpec<IpRange>, "negated"> = {
  variables: false,
  prepare: (parts) => {
    const [address, prefix] = literalText(parts).trim().split("/");
    const family = isIP(address ?? "");
    if (family === 0) return undefined;
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return undefined;
    if (family === 4) {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return { family: 4, network: (ipv4ToInt(address!)! & mask) >>> 0, mask };
    }
    const list = new BlockList();
    list.addSubnet(address!, bits, "ipv6");
    return { family: 6, list };
  },
  test: (value, range) => {
    if (range.family === 4) {
      const n = ipv4ToInt(value);
      return n !== undefined && (n & range.mask) >>> 0 === range.network;
    }
    return isIP(value) === 6 && range.list.check(value, "ipv6");
  },
};

/** Operators that take no variables see the raw text, `${...}` and all. */
function literalText(parts: readonly ValuePart[]): string {
  return parts
    .map((p) =>
      p.kind === "variable" ? `\${${p.key}${p.fallback !== undefined ? `, '${p.fallback}'` : ""}}` : p.text,
    )
    .join("");
}

const positive = <P>(spec: Omit<OperatorSpec<P>, "negated">): OperatorSpec<P> => ({
  ...spec,
  negated: false,
});
const negative = <P>(spec: Omit<OperatorSpec<P>, "negated">): OperatorSpec<P> => ({ ...spec, negated: true });

/** Every base operator of IAM (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html) except Null, which
 * tests presence rather than values and is handled in conditions.ts. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds specs of several prepared-value types.
export const OPERATORS: Readonly<Record<Exclude<BaseOperator, "Null">, OperatorSpec<any>>> = {
  StringEquals: positive(exact),
  StringNotEquals: negative(exact),
  StringEqualsIgnoreCase: positive(ignoreCase),
  StringNotEqualsIgnoreCase: negative(ignoreCase),
  StringLike: positive(like),
  StringNotLike: negative(like),
  NumericEquals: positive(numeric((a, b) => a === b)),
  NumericNotEquals: negative(numeric((a, b) => a === b)),
  NumericLessThan: positive(numeric((a, b) => a < b)),
  NumericLessThanEquals: positive(numeric((a, b) => a <= b)),
  NumericGreaterThan: positive(numeric((a, b) => a > b)),
  NumericGreaterThanEquals: positive(numeric((a, b) => a >= b)),
  DateEquals: positive(date((a, b) => a === b)),
  DateNotEquals: negative(date((a, b) => a === b)),
  DateLessThan: positive(date((a, b) => a < b)),
  DateLessThanEquals: positive(date((a, b) => a <= b)),
  DateGreaterThan: positive(date((a, b) => a > b)),
  DateGreaterThanEquals: positive(date((a, b) => a >= b)),
  Bool: positive(bool),
  BinaryEquals: positive(binary),
  IpAddress: positive(ip),
  NotIpAddress: negative(ip),
  ArnEquals: positive(arn),
  ArnLike: positive(arn),
  ArnNotEquals: negative(arn),
  ArnNotLike: negative(arn),
};

export const BASE_OPERATORS: readonly BaseOperator[] = [...Object.keys(OPERATORS), "Null"] as BaseOperator[];
