/**
 * Issuer throughput: ID tokens minted per second through HTTP (`GET <request URL>&audience=…` with the
 * request token, exactly as a job calls it) against `keyless serve --workers 2` (node:cluster, SQLite
 * store, every mint audited), for RS256 and ES256, next to the raw signing rate of node:crypto on the same
 * machine with the same key types on both cores (the ceiling), and the ratio. Prints figures; asserts
 * nothing (not a test). The load generator shares the machine's cores with the server, as it would in CI.
 *
 *   npm run bench:issuer            (SECONDS=5 CONCURRENCY=64 by default; wrk as the client when
 *                                   installed, CLIENT=node for the built-in Node client; METRICS=off
 *                                   serves without the Prometheus instrumentation)
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { Agent } from "node:http";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { jsonClient, seedRun, startBenchServer } from "./support/serve.js";

const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const WORKERS = Number(process.env.WORKERS ?? 2);
type Alg = "RS256" | "ES256";

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

async function httpMintRate(alg: Alg): Promise<{ rate: number; errors: number }> {
  const server = await startBenchServer([
    "--workers",
    String(WORKERS),
    "--signing-alg",
    alg,
    "--log-level",
    "warn",
    // METRICS=off: the same server without its Prometheus instrumentation, to measure what it costs.
    ...(process.env.METRICS === "off" ? ["--no-metrics"] : []),
  ]);
  try {
    const run = await seedRun(call, server, "bench", {
      ref: "refs/heads/main",
      commit: "0123456789abcdef0123456789abcdef01234567",
    });
    const url = `${run.requestUrl}&audience=sts.amazonaws.com`;

    if (hasWrk()) return wrkRate(url, run.requestToken);
    let ok = 0;
    let errors = 0;
    let measuring = false;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const r = await call("GET", url, run.requestToken).catch(() => ({
          status: 0,
          json: {} as Record<string, unknown>,
        }));
        if (!measuring) continue;
        if (r.status === 200 && typeof r.json.value === "string") ok++;
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
  } finally {
    await server.stop();
  }
}

/** wrk (C, one thread) loads the server with less CPU than a Node client would take from it. */
function hasWrk(): boolean {
  return process.env.CLIENT !== "node" && spawnSync("sh", ["-c", "command -v wrk"]).status === 0;
}

function wrkRate(url: string, token: string): { rate: number; errors: number } {
  // warm-up: JIT, key import, connections
  spawnSync("wrk", ["-t1", `-c${CONCURRENCY}`, "-d1s", "-H", `Authorization: Bearer ${token}`, url]);
  const r = spawnSync(
    "wrk",
    ["-t1", `-c${CONCURRENCY}`, `-d${SECONDS}s`, "-H", `Authorization: Bearer ${token}`, url],
    {
      encoding: "utf8",
    },
  );
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? "0");
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? "0");
  return { rate, errors };
}

async function main(): Promise<void> {
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(
    `keyless issuer mint throughput — ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}, ${SECONDS} s per figure, ${CONCURRENCY} concurrent requests from ${hasWrk() ? "wrk" : "a Node client"}, serve --workers ${WORKERS}, SQLite\n`,
  );
  console.log("alg    | HTTP mints/s | node:crypto sign/s, 1 core | 2 cores (ceiling) | HTTP / ceiling");
  console.log("-------|--------------|----------------------------|-------------------|---------------");
  for (const alg of ["RS256", "ES256"] as const) {
    const one = await rawOnCores(alg, 1);
    const two = await rawOnCores(alg, WORKERS);
    const http = await httpMintRate(alg);
    console.log(
      `${alg.padEnd(6)} | ${fmt(http.rate).padStart(12)} | ${fmt(one).padStart(26)} | ${fmt(two).padStart(17)} | ${((http.rate / two) * 100).toFixed(1).padStart(13)}%${http.errors ? `  (${http.errors} errors)` : ""}`,
    );
  }
  agent.destroy();
}

if (!isMainThread) {
  parentPort!.postMessage(rawSignRate(workerData.alg as Alg, workerData.seconds as number));
} else {
  await main();
}
