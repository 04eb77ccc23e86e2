import { readFileSync } from "node:fs";
import { fileErrorFrom, inputError } from "../lib/errors.js";
import { parseJson } from "../lib/json.js";

/** Reads a file named on the command line (`-` is standard input), failing with one clear line. */
export function readInput(path: string, what: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    throw fileErrorFrom(error, `cannot read ${what}`, path, `name a readable ${what} file, or - for stdin`);
  }
}

/** Parses a JSON file that must hold an object (claims, configuration). */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  const text = readInput(path, what);
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    throw inputError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw inputError(`${what} ${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}
