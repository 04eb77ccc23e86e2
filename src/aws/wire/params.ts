import { AwsError } from "./errors.js";

/**
 * The parameters of one AWS Query request, from a form body (POST) or a query string (GET): flat
 * `Name=value` pairs where lists are spelled `Name.member.N` and lists of structures
 * `Name.member.N.Field`. Order is not significant (botocore sends model order, the Go SDK alphabetical).
 */
export class QueryParams {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** Every parameter as received (name, value), for the decision log. */
  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }

  /** Parses `application/x-www-form-urlencoded` text. Duplicate names: the last one wins. */
  static parse(text: string): QueryParams {
    const values = new Map<string, string>();
    // A hand-written fast path for well-formed forms, URLSearchParams for the rest: URLSearchParams took
    // 15-20 µs for an AssumeRoleWithWebIdentity body (a 1 KB token) against 4-5 µs here, on the
    // emulator's hottest call (docs/performance.md). The two agree on every well-formed form: `+` is a
    // space, %XX are UTF-8 bytes, a name without `=` has the value "", empty pairs are skipped, a
    // leading `?` is dropped (https://url.spec.whatwg.org/#urlencoded-parsing). decodeURIComponent throws
    // on what WHATWG repairs instead (a stray `%`, invalid UTF-8): then URLSearchParams decides.
    try {
      const start = text.startsWith("?") ? 1 : 0;
      for (const pair of (start === 0 ? text : text.slice(start)).split("&")) {
        if (pair === "") continue;
        const eq = pair.indexOf("=");
        values.set(
          formDecode(eq < 0 ? pair : pair.slice(0, eq)),
          eq < 0 ? "" : formDecode(pair.slice(eq + 1)),
        );
      }
    } catch {
      values.clear();
      for (const [name, value] of new URLSearchParams(text)) values.set(name, value);
    }
    return new QueryParams(values);
  }

  static merge(a: QueryParams, b: QueryParams): QueryParams {
    return new QueryParams(new Map([...a.values, ...b.values]));
  }

  get size(): number {
    return this.values.size;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string | undefined {
    return this.values.get(name);
  }

  /**
   * `Name.member.N=value` as an array ordered by N. `Name=` (botocore's spelling of an empty list) gives
   * `[]`; a list that is not there at all gives undefined, so callers can tell "empty" from "absent".
   */
  list(name: string): string[] | undefined {
    const prefix = `${name}.member.`;
    const found: [number, string][] = [];
    for (const [key, value] of this.values) {
      if (!key.startsWith(prefix)) continue;
      const index = memberIndex(key.slice(prefix.length));
      if (index !== undefined) found.push([index, value]);
    }
    if (found.length === 0) return this.values.has(name) ? [] : undefined;
    return found.sort((x, y) => x[0] - y[0]).map(([, v]) => v);
  }

  /** `Name.member.N.Field=value` as an array of records ordered by N (`Tags`, `PolicyArns`, `ProvidedContexts`). */
  structList(name: string): Record<string, string>[] | undefined {
    const prefix = `${name}.member.`;
    const members = new Map<number, Record<string, string>>();
    for (const [key, value] of this.values) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const dot = rest.indexOf(".");
      if (dot < 0) continue;
      const index = memberIndex(rest.slice(0, dot));
      if (index === undefined) continue;
      const field = rest.slice(dot + 1);
      let member = members.get(index);
      if (!member) {
        member = Object.create(null) as Record<string, string>;
        members.set(index, member);
      }
      member[field] = value;
    }
    if (members.size === 0) return this.values.has(name) ? [] : undefined;
    return [...members.entries()].sort((x, y) => x[0] - y[0]).map(([, m]) => m);
  }

  /** `Tags.member.N.Key` / `.Value` pairs. A member without a Key is a validation error, as in AWS. */
  tags(name: string): { Key: string; Value: string }[] | undefined {
    const members = this.structList(name);
    if (members === undefined) return undefined;
    return members.map((m, i) => {
      if (m.Key === undefined) {
        throw new AwsError(
          "ValidationError",
          `1 validation error detected: Value null at '${lowerFirst(name)}.${i + 1}.member.key' failed to satisfy constraint: Member must not be null`,
        );
      }
      return { Key: m.Key, Value: m.Value ?? "" };
    });
  }

  /** An integer parameter; text that is not an integer is AWS's ValidationError for a bad value. */
  integer(name: string): number | undefined {
    const text = this.values.get(name);
    if (text === undefined) return undefined;
    if (!/^-?\d{1,15}$/.test(text.trim())) {
      throw new AwsError(
        "ValidationError",
        `1 validation error detected: Value '${text}' at '${lowerFirst(name)}' failed to satisfy constraint: Member must be an integer`,
      );
    }
    return Number.parseInt(text, 10);
  }
}

function memberIndex(text: string): number | undefined {
  if (!/^[1-9]\d{0,5}$/.test(text)) return undefined;
  return Number(text);
}

export const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

/** One form-encoded name or value decoded (`+` is a space, then %XX as UTF-8); throws URIError when malformed. */
function formDecode(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  return decodeURIComponent(text.replaceAll("+", " "));
}
