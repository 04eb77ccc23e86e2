/**
 * The token endpoint's CPU per mint in one process, without sockets: `keyless serve`'s own app (SQLite
 * store, metrics, every mint audited) answers `GET <request URL>` through Fastify's `inject`, in waves of
 * `WAVE` concurrent requests so the audit batcher groups them as under load. Beside it, in the same run:
 * an empty Fastify route through `inject` (what the framework costs without sockets) and node:crypto's
 * ES256 signature over a token-sized input (what signing costs). Steadier than the HTTP bench on a shared
 * machine, so small changes to the mint path can be compared (run it before and after).
 *
 *   node dist/bench/support/mint-path.js [mints=20000] [wave=32]
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import Fastify from "fastify";
import { loadServeConfig } from "../../src/server/config.js";
import { createMetrics } from "../../src/server/metrics.js";
import { ADMIN_KEY_FILE, bootstrap, openIssuer, startIssuerServer } from "../../src/server/serve.js";
import { tempDir } from "../../test/support/tmp.js";
import { jsonClient, seedRun } from "./serve.js";

const MINTS = Number(process.argv[2] ?? 20_000);
const WAVE = Number(process.argv[3] ?? 32);

/** CPU µs per call of `f`, run `n` times in waves of `wave` concurrent calls. */
async function cpuPerCall(n: number, wave: number, f: () => Promise<unknown>): Promise<number> {
  const cpu0 = process.cpuUsage();
  for (let done = 0; done < n; done += wave) await Promise.all(Array.from({ length: wave }, f));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

const dir = tempDir("keyless-mint-path-");
try {
  const data = join(dir.path, "data");
  const config = loadServeConfig({
    flags: { port: 0, host: "127.0.0.1", signingAlgorithm: "ES256" },
    env: {
      HOME: dir.path,
      KEYLESS_DATA_DIR: data,
      KEYLESS_TOKEN_RATE_LIMIT_PER_RUN: "0",
      KEYLESS_TOKEN_RATE_LIMIT_PER_ADDRESS: "0",
    },
  });
  const first = await openIssuer(config);
  await bootstrap(first, config, () => {});
  await first.close();
  const server = await startIssuerServer(config, {
    metrics: { registry: createMetrics(), clustered: false },
    maintainKeys: false,
  });
  const adminKey = readFileSync(join(data, ADMIN_KEY_FILE), "utf8").trim();
  const agent = new Agent({ keepAlive: true });
  const run = await seedRun(jsonClient(agent), { base: server.url, adminKey }, "bench");
  agent.destroy();
  const url = new URL(`${run.requestUrl}&audience=sts.amazonaws.com`);
  const path = `${url.pathname}${url.search}`;
  const headers = { authorization: `Bearer ${run.requestToken}` };
  const mint = async () => {
    const r = await server.app.inject({ method: "GET", url: path, headers });
    if (r.statusCode !== 200) throw new Error(`mint: ${r.statusCode} ${r.body}`);
  };

  const empty = Fastify({ logger: false });
  empty.get("/runs/:run/token", async (_req, reply) => {
    reply.header("cache-control", "no-store");
    return { value: "x" };
  });
  await empty.ready();
  const emptyCall = () => empty.inject({ method: "GET", url: path, headers });

  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const input = Buffer.alloc(700, 97);
  const signOnce = async () => sign("sha256", input, { key: privateKey, dsaEncoding: "ieee-p1363" });

  for (let i = 0; i < 2000; i += WAVE) await Promise.all(Array.from({ length: WAVE }, mint)); // warm-up
  await cpuPerCall(2000, WAVE, emptyCall);
  await cpuPerCall(2000, WAVE, signOnce);
  const rows: [string, number][] = [];
  for (let round = 0; round < 2; round++) {
    rows.push(["mint (inject)", await cpuPerCall(MINTS / 2, WAVE, mint)]);
    rows.push(["empty route (inject)", await cpuPerCall(MINTS / 2, WAVE, emptyCall)]);
    rows.push(["ES256 sign (node:crypto)", await cpuPerCall(MINTS / 2, WAVE, signOnce)]);
  }
  const best = new Map<string, number>();
  for (const [k, v] of rows) best.set(k, Math.min(best.get(k) ?? Infinity, v));
  console.log(`mint path in process: ${MINTS} mints in waves of ${WAVE}; CPU µs per call (best of 2)`);
  for (const [k, v] of best) console.log(`${k.padEnd(26)} ${v.toFixed(1).padStart(7)}`);
  const m = best.get("mint (inject)")!;
  const e = best.get("empty route (inject)")!;
  const s = best.get("ES256 sign (node:crypto)")!;
  console.log(`${"mint - empty - sign".padEnd(26)} ${(m - e - s).toFixed(1).padStart(7)}`);
  await empty.close();
  await server.close();
} finally {
  dir.cleanup();
}
