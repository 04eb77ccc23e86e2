import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";

/**
 * Where a value sits in the file a trust policy came from, for SARIF regions: the 1-based line and column
 * (UTF-16 code units, SARIF's default `columnKind`) of the value at a path. JSON is scanned by hand (the
 * built-in parser keeps no positions); YAML through the yaml library's nodes. A policy held in a JSON
 * string (Terraform's `assume_role_policy`, an encoded `AssumeRolePolicyDocument`) is located inside the
 * string: offsets in the decoded text are mapped back through the escapes to the file.
 */
export type PathPart = string | number;

/** Where the policy document is inside its file. */
export interface PolicyOrigin {
  readonly text: string;
  readonly yaml: boolean;
  /** The path from the file's root to the policy document (empty: the file is the policy). */
  readonly pointer: readonly PathPart[];
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** The position of the value at `inner` (a path inside the policy document), or of the nearest ancestor
 * found; undefined when not even the document is found. */
export function locate(origin: PolicyOrigin, inner: readonly PathPart[]): Position | undefined {
  const offset = origin.yaml ? yamlOffset(origin, inner) : jsonOffset(origin.text, origin.pointer, inner);
  return offset === undefined ? undefined : position(origin.text, offset);
}

function position(text: string, offset: number): Position {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

// ---- JSON ---------------------------------------------------------------------------------------------------

function jsonOffset(
  text: string,
  pointer: readonly PathPart[],
  inner: readonly PathPart[],
): number | undefined {
  const outer = find(text, 0, pointer);
  if (outer === undefined) return undefined;
  if (text[outer.at] !== '"') return find(text, outer.at, inner)?.at ?? outer.at;
  // The document is a JSON string: locate inside its decoded text, then map back through the escapes.
  const { decoded, rawIndex } = decodeString(text, outer.at);
  const at = find(decoded, 0, inner)?.at;
  return at === undefined ? outer.at : rawIndex[at]!;
}

/** Follows `path` from the value at `start`; returns the deepest value reached (its offset) and whether the
 * whole path was found. A number step on an object is index 0 of a one-element list (IAM's shorthand). */
function find(text: string, start: number, path: readonly PathPart[]): { at: number } | undefined {
  let at = skipSpace(text, start);
  if (at >= text.length) return undefined;
  for (const step of path) {
    const c = text[at];
    if (c === "[" && typeof step === "number") {
      let i = skipSpace(text, at + 1);
      let n = 0;
      let found: number | undefined;
      while (i < text.length && text[i] !== "]") {
        if (n === step) {
          found = i;
          break;
        }
        i = skipSpace(text, skipValue(text, i));
        if (text[i] === ",") i = skipSpace(text, i + 1);
        n++;
      }
      if (found === undefined) return { at };
      at = found;
    } else if (c === "{" && typeof step === "string") {
      let i = skipSpace(text, at + 1);
      let found: number | undefined;
      while (i < text.length && text[i] === '"') {
        const key = decodeString(text, i);
        i = skipSpace(text, key.end);
        if (text[i] === ":") i = skipSpace(text, i + 1);
        if (key.decoded === step) {
          found = i;
          break;
        }
        i = skipSpace(text, skipValue(text, i));
        if (text[i] === ",") i = skipSpace(text, i + 1);
      }
      if (found === undefined) return { at };
      at = found;
    } else if (c === "{" && step === 0) {
      // a single statement written as an object
    } else {
      return { at };
    }
  }
  return { at };
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t"))
    i++;
  return i;
}

/** The offset just past the JSON value starting at `i`. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return decodeString(text, i).end;
  if (c === "{" || c === "[") {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = decodeString(text, j).end - 1;
      else if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !",}] \n\r\t".includes(text[j]!)) j++;
  return j;
}

/** The JSON string token at `i` (its opening quote): its decoded text, the file offset of each decoded
 * code unit, and the offset past the closing quote. */
function decodeString(text: string, i: number): { decoded: string; rawIndex: number[]; end: number } {
  let decoded = "";
  const rawIndex: number[] = [];
  let j = i + 1;
  while (j < text.length && text[j] !== '"') {
    rawIndex.push(j);
    if (text[j] === "\\") {
      const e = text[j + 1];
      if (e === "u") {
        decoded += String.fromCharCode(Number.parseInt(text.slice(j + 2, j + 6), 16) || 0);
        j += 6;
      } else {
        decoded +=
          e === "n"
            ? "\n"
            : e === "t"
              ? "\t"
              : e === "r"
                ? "\r"
                : e === "b"
                  ? "\b"
                  : e === "f"
                    ? "\f"
                    : (e ?? "");
        j += 2;
      }
    } else {
      decoded += text[j];
      j++;
    }
  }
  rawIndex.push(j);
  return { decoded, rawIndex, end: j + 1 };
}

// ---- YAML ---------------------------------------------------------------------------------------------------

function yamlOffset(origin: PolicyOrigin, inner: readonly PathPart[]): number | undefined {
  const lines = new LineCounter();
  // Tags are irrelevant to positions: unknown ones (`!Sub`) only add warnings.
  const doc = parseDocument(origin.text, { lineCounter: lines, uniqueKeys: false, strict: false });
  let node: Node | null | undefined = doc.contents;
  let at = node?.range?.[0];
  for (const step of [...origin.pointer, ...inner]) {
    let next: unknown;
    if (isSeq(node) && typeof step === "number") next = node.items[step];
    else if (isMap(node) && typeof step === "string") next = node.get(step, true);
    else if (isMap(node) && step === 0) continue;
    else break;
    if (next === undefined || next === null || typeof next !== "object" || !("range" in next)) break;
    node = next as Node;
    at = node.range?.[0] ?? at;
  }
  return at;
}
