import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import { seg } from "../admin/client.js";
import { type AdminFlags, addAdminOptions, clientFor, table, wholeNumber } from "../admin/options.js";

interface AuditFlags extends AdminFlags {
  org?: string;
  actor?: string;
  kind?: string;
  action?: string;
  since?: string;
  until?: string;
  limit?: string;
  follow?: boolean;
  interval?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the admin API's audit entry JSON.
type Entry = any;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`/`--until`: an ISO 8601 time, or a duration back from now (`90s`, `15m`, `2h`, `7d`); epoch ms. */
export function instant(flag: string, value: string, now = Date.now()): number {
  const d = /^(\d+)([smhd])$/.exec(value);
  if (d) return now - Number(d[1]) * UNITS[d[2]!]!;
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw inputError(`${flag} ${value}: give a time (2026-11-30T01:00:00Z) or a duration (15m, 2h, 7d)`);
  return t;
}

const iso = (ms: number) => new Date(ms).toISOString();

function summary(e: Entry): string {
  const d = e.details ?? {};
  if (e.action === "token.mint") return `aud=${d.audience} sub=${d.sub}`;
  return Object.entries(d)
    .filter(([, v]) => typeof v !== "object" || v === null)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

const row = (e: Entry) => [iso(e.at), e.actor, e.action, e.target, summary(e)];

export function register(program: Command): void {
  const audit = program
    .command("audit")
    .description("the audit log of a keyless server (admin API)")
    .addHelpText(
      "after",
      "\nExamples:\n  keyless audit list --org acme --since 1h\n  keyless audit list --org acme --kind run --actor key:<id>\n  keyless audit list --follow --json      (admin key: every organization)\n",
    );

  addAdminOptions(
    audit
      .command("list")
      .description("entries newest first (with --follow: oldest first, then new ones as they come)")
      .option("--org <org>", "one organization (name or id); without it, all (admin key)")
      .option("--actor <actor>", "entries by this actor: key:<id>, run:<id> or operator")
      .option("--kind <kind>", "an action or its first part: run, token.mint, api-key, organization…")
      .option("--since <time>", "entries after this time (ISO 8601) or this long ago (15m, 2h, 7d)")
      .option("--until <time>", "entries before this time or this long ago")
      .option("--limit <n>", "at most this many entries (default 100, at most 1000)")
      .option("--follow", "keep printing new entries until interrupted")
      .option("--interval <seconds>", "with --follow: seconds between polls (default 2)"),
  ).action(async (flags: AuditFlags) => {
    const client = clientFor(flags);
    const path = flags.org === undefined ? "/api/v1/audit" : `/api/v1/organizations/${seg(flags.org)}/audit`;
    const limit = wholeNumber("--limit", flags.limit);
    const query = (extra: Record<string, string | number | undefined>) => {
      const q = new URLSearchParams();
      const all = {
        actor: flags.actor,
        kind: flags.kind,
        limit,
        after: flags.since !== undefined ? instant("--since", flags.since) : undefined,
        before: flags.until !== undefined ? instant("--until", flags.until) : undefined,
        ...extra,
      };
      for (const [k, v] of Object.entries(all)) if (v !== undefined) q.set(k, String(v));
      return `${path}?${q}`;
    };
    const first: Entry[] = (await client.call("GET", query({}))).entries;
    if (!flags.follow) {
      if (flags.json) process.stdout.write(`${JSON.stringify(first, null, 2)}\n`);
      else process.stdout.write(table(["time", "actor", "action", "target", "details"], first.map(row)));
      return;
    }
    const interval = (wholeNumber("--interval", flags.interval) ?? 2) * 1000;
    // An entry's time is taken before its transaction commits (and a worker's mint records reach the
    // primary in batches), so one may appear after a later one was read: look back ten seconds on every
    // poll and print each entry once.
    const seen = new Set<string>();
    let last = first.reduce(
      (m, e) => Math.max(m, e.at),
      flags.since !== undefined ? instant("--since", flags.since) : 0,
    );
    const print = (entries: Entry[]) => {
      for (const e of [...entries].sort((a, b) => a.at - b.at || String(a.id).localeCompare(b.id))) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        last = Math.max(last, e.at);
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(e)}\n`
            : `${row(e)
                .map((c) => c ?? "-")
                .join("  ")}\n`,
        );
      }
    };
    print(first);
    for (;;) {
      await new Promise((r) => setTimeout(r, interval));
      print((await client.call("GET", query({ after: Math.max(0, last - 10_000), limit: 1000 }))).entries);
    }
  });
}
