/**
 * Issuer throughput: ID tokens minted per second through HTTP (`GET <request URL>&audience=…` with the
 * request token, exactly as a job calls it) against `keyless serve --workers 2` (node:cluster, SQLite
 * store, every mint audited), for RS256 and ES256, next to two ceilings measured in the same run on the
 * same cores: a bare Fastify app with as many workers answering an empty route of the same shape
 * (bench/support/empty-route.ts: what the framework allows) and the raw signing rate of node:crypto with
 * the same key types on both cores (what signing allows), and the ratios. A third bare app signs a
 * token-sized JWS and writes one audit row per request (the sign-and-audit floor: the least the issue's
 * guarantees cost, bench/support/empty-route.ts). The bare apps are measured right before each
 * algorithm's mint figure, so each ratio compares figures taken under the same load on this shared
 * machine. Prints figures; asserts nothing (not a test). The load generator shares the machine's
 * cores with the server, as it would in CI.
 *
 *   npm run bench:issuer            (SECONDS=5 CONCURRENCY=64 by default; wrk as the client when
 *                                   installed, CLIENT=node for the built-in Node client; METRICS=off
 *                                   serves without the Prometheus instrumentation; ALGS=ES256 for one
 *                                   algorithm; LOG_LEVEL=info with serve's request log, written to
 *                                   this process's stderr)
 */
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { untilListening } from "./support/cluster-primary.js";
import { jsonClient, seedRun, startBenchServer } from "./support/serve.js";
import { treeCpuSeconds } from "./support/tree-cpu.js";

const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const WORKERS = Number(process.env.WORKERS ?? 2);
type Alg = "RS256" | "ES256";
/** ALGS=ES256 measures one algorithm only. */
const ALGS = (process.env.ALGS ?? "RS256,ES256")
  .split(",")
  .filter((a): a is Alg => a === "RS256" || a === "ES256");

/** Raw node:crypto signatures per second for `alg` in this thread, over a JWT-sized payload. */
function rawSignRate(alg: Alg, seconds: number): number {
  const { privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const data = Buffer.alloc(700, 97); // header.payload of a typical keyless token
  const opts = alg === "ES256" ? { key: privateKey, dsaEncoding: "ieee-p1363" as const } : privateKey;
  for (let i = 0; i < 200; i++) sign("sha256", data, opts);
  let n = 0;
  const end = process.hrtime.bigint() + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 20; i++) sign("sha256", data, opts);
    n += 20;
  }
  return n / seconds;
}

function rawOnCores(alg: Alg, threads: number): Promise<number> {
  const file = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(file, { workerData: { alg, seconds: SECONDS } });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  ).then((rates) => rates.reduce((a, b) => a + b, 0));
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const call = jsonClient(agent);

type Rate = { rate: number; errors: number; cpuMicrosPerRequest?: number };

async function httpMintRate(alg: Alg): Promise<Rate> {
  const server = await startBenchServer([
    "--workers",
    String(WORKERS),
    "--signing-alg",
    alg,
    // LOG_LEVEL=info measures with the request log on (serve's default); warn by default, so the
    // figure is the mint's own cost.
    "--log-level",
    process.env.LOG_LEVEL ?? "warn",
    // METRICS=off: the same server without its Prometheus instrumentation, to measure what it costs.
    ...(process.env.METRICS === "off" ? ["--no-metrics"] : []),
  ]);
  try {
    const run = await seedRun(call, server, "bench", {
      ref: "refs/heads/main",
      commit: "0123456789abcdef0123456789abcdef01234567",
    });
    const url = `${run.requestUrl}&audience=sts.amazonaws.com`;

    if (hasWrk()) return wrkRate(url, run.requestToken, server.child.pid);
    return nodeClientRate(url, run.requestToken, (r) => r.status === 200 && typeof r.json.value === "string");
  } finally {
    await server.stop();
  }
}

/** `CONCURRENCY` loops of the Node client against `url` for `SECONDS` after a second's warm-up. */
async function nodeClientRate(
  url: string,
  token: string,
  good: (r: { status: number; json: Record<string, unknown> }) => boolean,
): Promise<{ rate: number; errors: number }> {
  let ok = 0;
  let errors = 0;
  let measuring = false;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const r = await call("GET", url, token).catch(() => ({
        status: 0,
        json: {} as Record<string, unknown>,
      }));
      if (!measuring) continue;
      if (good(r)) ok++;
      else errors++;
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, loop);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up: JIT, key import, connections
  measuring = true;
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = ok / elapsed;
  measuring = false;
  stop = true;
  await Promise.all(loops);
  return { rate, errors };
}

/**
 * Requests/s of a bare Fastify app (bench/support/empty-route.ts) with `WORKERS` workers: `empty`, or the
 * sign-and-audit floor for `alg`.
 */
async function bareRouteRate(mode: "empty" | `floor-${Alg}`): Promise<Rate> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const script = fileURLToPath(new URL("./support/empty-route.js", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "keyless-bench-floor-"));
  const child = spawn(
    process.execPath,
    [script, String(port), String(WORKERS), mode, join(dir, "audit.db")],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    await untilListening(child, `${mode} route`);
    const url = `http://127.0.0.1:${port}/runs/00000000-0000-4000-8000-000000000000/token?api-version=1&audience=sts.amazonaws.com`;
    const token = "klr_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
    if (hasWrk()) return wrkRate(url, token, child.pid);
    return nodeClientRate(url, token, (r) => r.status === 200);
  } finally {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** wrk (C, one thread) loads the server with less CPU than a Node client would take from it. */
function hasWrk(): boolean {
  return process.env.CLIENT !== "node" && spawnSync("sh", ["-c", "command -v wrk"]).status === 0;
}

function wrkRate(url: string, token: string, serverPid: number | undefined): Rate {
  // warm-up: JIT, key import, connections
  spawnSync("wrk", ["-t1", `-c${CONCURRENCY}`, "-d1s", "-H", `Authorization: Bearer ${token}`, url]);
  const cpuBefore = treeCpuSeconds(serverPid);
  const r = spawnSync(
    "wrk",
    ["-t1", `-c${CONCURRENCY}`, `-d${SECONDS}s`, "-H", `Authorization: Bearer ${token}`, url],
    {
      encoding: "utf8",
    },
  );
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? "0");
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? "0");
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? "0");
  const cpuAfter = treeCpuSeconds(serverPid);
  if (cpuBefore === undefined || cpuAfter === undefined || requests === 0) return { rate, errors };
  return { rate, errors, cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / requests };
}

async function main(): Promise<void> {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(
    `keyless issuer mint throughput — ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}, ${SECONDS} s per figure, ${CONCURRENCY} concurrent requests from ${hasWrk() ? "wrk" : "a Node client"}, serve --workers ${WORKERS}, SQLite\n`,
  );
  console.log(
    "alg    | HTTP mints/s | empty route req/s (ceiling) | sign+audit floor req/s | mints / empty | floor / empty | mints / floor | node:crypto sign/s, 1 core | 2 cores",
  );
  console.log(
    "-------|--------------|-----------------------------|------------------------|---------------|---------------|---------------|----------------------------|--------",
  );
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
  const cpuRows: string[] = [];
  for (const alg of ALGS) {
    const one = await rawOnCores(alg, 1);
    const two = await rawOnCores(alg, WORKERS);
    const empty = await bareRouteRate("empty");
    const floor = await bareRouteRate(`floor-${alg}`);
    const http = await httpMintRate(alg);
    const errors = http.errors + empty.errors + floor.errors;
    console.log(
      `${alg.padEnd(6)} | ${fmt(http.rate).padStart(12)} | ${fmt(empty.rate).padStart(27)} | ${fmt(floor.rate).padStart(22)} | ${pct(http.rate, empty.rate).padStart(13)} | ${pct(floor.rate, empty.rate).padStart(13)} | ${pct(http.rate, floor.rate).padStart(13)} | ${fmt(one).padStart(26)} | ${fmt(two).padStart(7)}${errors ? `  (${http.errors} + ${empty.errors} + ${floor.errors} errors)` : ""}`,
    );
    const [m, e, f] = [http, empty, floor].map((r) => r.cpuMicrosPerRequest);
    if (m !== undefined && e !== undefined && f !== undefined) {
      cpuRows.push(
        `${alg.padEnd(6)} | ${m.toFixed(0).padStart(22)} | ${e.toFixed(0).padStart(23)} | ${f.toFixed(0).padStart(18)} | ${pct(e, m).padStart(12)} | ${pct(e, f).padStart(12)} | ${pct(f, m).padStart(12)}`,
      );
    }
  }
  if (cpuRows.length > 0) {
    // CPU per request of the server processes (primary and workers): steadier than throughput when
    // other work shares the cores. Empty / mint is the share of the ceiling a quiet machine would give;
    // empty / floor the most any signed and audited mint could give.
    console.log(
      "\nalg    | server CPU µs per mint | per empty-route request | per floor request | empty / mint | empty / floor | floor / mint",
    );
    console.log(
      "-------|------------------------|-------------------------|-------------------|--------------|---------------|-------------",
    );
    for (const row of cpuRows) console.log(row);
  }
  agent.destroy();
}

if (!isMainThread) {
  parentPort!.postMessage(rawSignRate(workerData.alg as Alg, workerData.seconds as number));
} else {
  await main();
}
