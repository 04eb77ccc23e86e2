import { readFileSync } from "node:fs";
import { parseJson } from "../lib/json.js";
import { CliError } from "./errors.js";

/** Reads a file named on the command line (`-` is standard input), failing with one clear line. */
export function readInput(path: string, what: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new CliError(`cannot read ${what} ${path}: ${reason}`);
  }
}

/** Parses a JSON file that must hold an object (claims, configuration). */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  const text = readInput(path, what);
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    throw new CliError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CliError(`${what} ${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}
