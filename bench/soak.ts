/**
 * Soak: `keyless serve --workers 2` (SQLite store, every mint audited) under a steady mint loop for a long
 * time, to see memory that grows and latency that drifts. Every 10 s it prints the resident set size
 * (RSS, from `ps`, in MiB) of the primary and of each worker, and the mint latency percentiles of that
 * window (ms); at the end, the totals: requests, errors (any answer but 200 with a token, or a network
 * error), and the RSS at start and end. Prints figures; asserts nothing (not a test).
 *
 *   npm run bench:soak              (SECONDS=60 CONCURRENCY=8 by default; SECONDS=3600 for an hour)
 */
import { spawnSync } from "node:child_process";
import { Agent } from "node:http";
import { jsonClient, seedRun, startBenchServer } from "./support/serve.js";

const SECONDS = Number(process.env.SECONDS ?? 60);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const WINDOW_MS = 10_000;

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const call = jsonClient(agent);

/** RSS in MiB of `pid` and of its direct children (the workers), from ps (RSS is reported in KiB). */
function rss(pid: number): { primary: number; workers: number[] } {
  const kib = (args: string[]) =>
    spawnSync("ps", ["-o", "rss=", ...args], { encoding: "utf8" })
      .stdout.split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0)
      .map((n) => n / 1024);
  return { primary: kib(["-p", String(pid)])[0] ?? 0, workers: kib(["--ppid", String(pid)]) };
}

/** Nearest-rank percentile of sorted values. */
function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const mib = (n: number) => `${n.toFixed(1)}`;
const ms = (n: number) => n.toFixed(2);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

async function main(): Promise<void> {
  const server = await startBenchServer(["--workers", "2", "--log-level", "warn"]);
  const child = server.child;
  try {
    const run = await seedRun(call, server, "soak");
    const url = `${run.requestUrl}&audience=sts.amazonaws.com`;

    const pid = child.pid!;
    const start = rss(pid);
    console.log(
      `keyless serve --workers 2 soak — ${SECONDS} s, ${CONCURRENCY} concurrent mint loops, Node ${process.version}, SQLite`,
    );
    console.log(
      `start: RSS primary ${mib(start.primary)} MiB, workers ${start.workers.map(mib).join(" / ")} MiB\n`,
    );
    console.log(
      "   t (s) | requests | errors | p50 ms | p90 ms | p99 ms | max ms | RSS MiB primary | workers",
    );
    console.log(
      "---------|----------|--------|--------|--------|--------|--------|-----------------|--------",
    );

    let window: number[] = [];
    let windowErrors = 0;
    let requests = 0;
    let errors = 0;
    const all: number[] = [];
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const t0 = process.hrtime.bigint();
        const r = await call("GET", url, run.requestToken).catch(() => ({
          status: 0,
          json: {} as Record<string, unknown>,
        }));
        const took = Number(process.hrtime.bigint() - t0) / 1e6;
        requests++;
        if (r.status === 200 && typeof r.json.value === "string") {
          window.push(took);
          all.push(took);
        } else {
          errors++;
          windowErrors++;
        }
      }
    };
    const loops = Array.from({ length: CONCURRENCY }, loop);
    const began = Date.now();
    let last = start;
    for (let t = WINDOW_MS; t <= SECONDS * 1000; t += WINDOW_MS) {
      await sleep(began + t - Date.now());
      const w = window.sort((a, b) => a - b);
      const e = windowErrors;
      window = [];
      windowErrors = 0;
      last = rss(pid);
      console.log(
        `${String(t / 1000).padStart(8)} | ${String(w.length + e).padStart(8)} | ${String(e).padStart(6)} | ${ms(pct(w, 50)).padStart(6)} | ${ms(pct(w, 90)).padStart(6)} | ${ms(pct(w, 99)).padStart(6)} | ${ms(w[w.length - 1] ?? Number.NaN).padStart(6)} | ${mib(last.primary).padStart(15)} | ${last.workers.map(mib).join(" / ")}`,
      );
    }
    stop = true;
    await Promise.all(loops);
    all.sort((a, b) => a - b);
    const elapsed = (Date.now() - began) / 1000;
    console.log(
      `\ntotal: ${requests} requests in ${elapsed.toFixed(0)} s (${(requests / elapsed).toFixed(0)}/s), ${errors} errors; latency p50 ${ms(pct(all, 50))} ms, p90 ${ms(pct(all, 90))} ms, p99 ${ms(pct(all, 99))} ms, max ${ms(all[all.length - 1] ?? Number.NaN)} ms`,
    );
    console.log(
      `RSS primary ${mib(start.primary)} → ${mib(last.primary)} MiB; workers ${start.workers.map(mib).join(" / ")} → ${last.workers.map(mib).join(" / ")} MiB`,
    );
  } finally {
    agent.destroy();
    await server.stop();
  }
}

await main();
