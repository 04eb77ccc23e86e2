import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import { AdminClient, adminTarget, type ConnectionFlags, readPem } from "./client.js";

/** A CA file for `--ca` (exit 2 naming it when unreadable). */
export const readCaFile = (path: string) => readPem(path, "--ca");

/** Flags every admin command takes. */
export interface AdminFlags extends ConnectionFlags {
  json?: boolean;
}

/** Adds `--server`, `--ca` and `--json` to an admin command. */
export function addAdminOptions(command: Command): Command {
  return command
    .option(
      "--server <url>",
      "the keyless server (default: KEYLESS_SERVER, else the one keyless login saved)",
    )
    .option(
      "--ca <file>",
      "extra CA certificate (PEM) to trust for the server (NODE_EXTRA_CA_CERTS works too)",
    )
    .option("--json", "print the API's JSON (for scripts) instead of a table");
}

/** The admin client for the command's flags; the key from KEYLESS_API_KEY, else the login file. */
export const clientFor = (flags: ConnectionFlags) => new AdminClient(adminTarget(flags));

/** Prints `value` as JSON (with `--json`) or runs `human` to print it for people. */
export function output(flags: AdminFlags, value: unknown, human: () => string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

/** A plain-text table: upper-case headers, columns padded to their widest cell, `-` for empty cells. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(headers.map((h) => h.toUpperCase())), ...cells.map(line)].join("\n")}\n`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined || v === "") return "-";
  if (Array.isArray(v)) return v.length ? v.join(",") : "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** `KEY: value` lines for one resource. */
export function details(fields: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields
    .map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${cell(v)}`)
    .join("\n")
    .concat("\n");
}

/** Refuses a destructive command without `--yes` (scripts pass it; people read what they delete). */
export function confirmed(flags: { yes?: boolean }, what: string): void {
  if (!flags.yes) throw inputError(`${what} deletes it for good: add --yes to confirm`);
}

/** Parses a positive whole number flag (seconds, limits). */
export function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw inputError(`${flag} ${value}: give a positive whole number`);
  return n;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
