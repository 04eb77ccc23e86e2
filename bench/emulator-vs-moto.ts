/**
 * AssumeRoleWithWebIdentity throughput, three servers in one run on the same cores and the same load:
 * - the keyless emulator (every check on: signature, alg allow-list, exp/nbf/iat, aud, trust policy;
 *   `WORKERS` node:cluster workers);
 * - moto_server (validating nothing);
 * - a bare `node:http` server with the same workers answering a same-sized XML document to the same
 *   POST (bench/support/bare-sts.ts): the physical ceiling for any Node server on these cores.
 * - the verify-and-issue floor (bench/support/bare-sts.ts with the issuer's key): the bare server plus
 *   the form parse, the signature check and the issue of sealed credentials, nothing else.
 * Beside them, the same run measures node:crypto's RS256 verify on one core (the emulator's own
 * `verifyCompactSignature`, over the same tokens): the bare server's CPU per request plus one verify is
 * the least any server that checks the signature can spend, so bare / (bare + verify) is the "verify-only
 * ceiling", the physical limit with the checks on.
 * Every request carries a **distinct** token (pre-minted RS256 tokens, each with its own jti, sub and
 * iat), so no cache keyed on the token can flatter the figure; the emulator and moto see each token at
 * most once per run (a wrap-around is counted and printed), the bare server, which reads nothing, cycles.
 * Load: wrk with one thread and a Lua script reading the token file (C, so it takes little of the cores
 * the servers need), else a Node keep-alive loop.
 *   npm run bench:emulator -- [seconds=10] [connections=16] [workers=2] [tokens=seconds*12000]
 * Not a test: prints figures only. The load generator shares the machine's cores with the servers.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JWK } from "jose";
import { verifyCompactSignature } from "../src/core/token/jws.js";
import { isolatedEnv, startEmulator } from "../test/support/emulator.js";
import { startTestIssuer } from "../test/support/oidc-issuer.js";
import { freePort } from "../test/support/ports.js";
import { tempDir } from "../test/support/tmp.js";
import { untilListening } from "./support/cluster-primary.js";
import { treeCpuSeconds } from "./support/tree-cpu.js";
import { seedBenchRole } from "./support/web-identity-role.js";

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 16);
const WORKERS = process.argv[4] ?? "2";
const TOKENS = Number(process.argv[5] ?? SECONDS * 12_000);
const WARMUP_TOKENS = 4_000;
const ACCOUNT = "123456789012";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/ci`;

type LoadResult = {
  rps: number;
  ok: number;
  errors: number;
  wraps: number;
  /** Server CPU (user + system, the process and its workers) per answered request, µs; Linux only. */
  cpu?: number;
  p50: number;
  p90: number;
  p99: number;
};

const HAS_WRK = spawnSync("sh", ["-c", "command -v wrk"]).status === 0;

/** The request body for one token: the same shape the AWS CLI sends (unsigned, form-encoded). */
const bodyFor = (token: string) =>
  `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE_ARN)}&RoleSessionName=bench&WebIdentityToken=${token}`;

/**
 * wrk's --latency report, parsed: Requests/sec, the 50/90/99 % lines (us, ms or s), non-2xx count. The
 * Lua script reads one body per line of `bodies` and sends them in order, each once; past the end it
 * starts again and counts a wrap (printed by done() as `wraps N`).
 */
async function loadWithWrk(url: string, bodies: string[], seconds: number): Promise<LoadResult> {
  const file = join(dir.path, `bodies-${runs}.txt`);
  const script = join(dir.path, `post-${runs++}.lua`);
  writeFileSync(file, `${bodies.join("\n")}\n`);
  writeFileSync(
    script,
    `local bodies = {}
for line in io.lines(${JSON.stringify(file)}) do bodies[#bodies + 1] = line end
local i = 0
wraps = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
function request()
  i = i + 1
  if i > #bodies then i = 1; wraps = wraps + 1 end
  return wrk.format(nil, "/", nil, bodies[i])
end
function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + t:get("wraps") end
  io.write("wraps " .. w .. "\\n")
end
`,
  );
  // Asynchronously: the test issuer serving JWKS lives in this process and must keep answering.
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "-s", script, url]);
    let text = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      text += d;
    });
    child.on("error", reject);
    child.on("close", () => resolve(text));
  });
  const ms = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(out);
    if (!m) return Number.NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
    Number(/Socket errors: connect (\d+)/.exec(out)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  return {
    rps: rps * ((total - errors) / Math.max(total, 1)),
    ok: total - errors,
    errors,
    wraps: Number(/wraps (\d+)/.exec(out)?.[1] ?? 0),
    p50: ms("50"),
    p90: ms("90"),
    p99: ms("99"),
  };
}
let runs = 0;

/**
 * One load run; with `pid`, the server tree's CPU per answered request too: throughput on this shared
 * machine moves with everyone else's load, CPU per request hardly does.
 */
async function load(url: string, bodies: string[], seconds = SECONDS, pid?: number): Promise<LoadResult> {
  const before = treeCpuSeconds(pid);
  const r = await (HAS_WRK ? loadWithWrk(url, bodies, seconds) : loadWithNode(url, bodies, seconds));
  const after = treeCpuSeconds(pid);
  if (before === undefined || after === undefined || r.ok === 0) return r;
  return { ...r, cpu: ((after - before) * 1e6) / r.ok };
}

async function loadWithNode(url: string, bodies: string[], seconds: number): Promise<LoadResult> {
  const u = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  let wraps = 0;
  const end = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((ok) => {
      if (next === bodies.length) {
        next = 0;
        wraps++;
      }
      const body = bodies[next++]!;
      const t0 = performance.now();
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          method: "POST",
          path: "/",
          agent,
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) latencies.push(performance.now() - t0);
            else errors++;
            ok();
          });
        },
      );
      req.on("error", () => {
        errors++;
        ok();
      });
      req.end(body);
    });
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
  return {
    rps: latencies.length / elapsed,
    ok: latencies.length,
    errors,
    wraps,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
  };
}

/**
 * CPU (user + system, this process, one core) per RS256 verify with the emulator's own function, over
 * up to 20,000 of the bench's distinct tokens (after 500 to warm up the JIT).
 */
function verifyCost(tokens: readonly string[], jwk: JWK): { cpu: number; count: number } {
  const sample = tokens.slice(0, 20_500);
  for (const t of sample.slice(0, 500)) verifyCompactSignature(t, jwk, "RS256");
  const measured = sample.slice(500);
  const c0 = process.cpuUsage();
  let valid = 0;
  for (const t of measured) if (verifyCompactSignature(t, jwk, "RS256")) valid++;
  const c = process.cpuUsage(c0);
  if (valid !== measured.length) throw new Error(`${measured.length - valid} bench tokens did not verify`);
  return { cpu: (c.user + c.system) / measured.length, count: measured.length };
}

/**
 * Starts bench/support/bare-sts.js on a free port with `WORKERS` workers (the verify-and-issue floor when
 * `jwkFile` is given); resolves once all listen.
 */
async function startBare(bytes: number, jwkFile?: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const script = fileURLToPath(new URL("./support/bare-sts.js", import.meta.url));
  const args = [script, String(port), WORKERS, String(bytes), ...(jwkFile ? [jwkFile] : [])];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await untilListening(child, "bare server");
  return { url: `http://127.0.0.1:${port}`, child };
}

const dir = tempDir("keyless-bench-");
let moto: ChildProcess | undefined;
let bare: ChildProcess | undefined;
let floorServer: ChildProcess | undefined;
try {
  mkdirSync(join(dir.path, "ca"));
  const issuer = await startTestIssuer(join(dir.path, "ca"), {
    issuer: "https://token.actions.githubusercontent.com",
  });
  const emulator = await startEmulator(join(dir.path, "data"), [
    "--workers",
    WORKERS,
    "--trust-ca",
    issuer.caFile,
    "--issuer-alias",
    `token.actions.githubusercontent.com=${issuer.localUrl}`,
  ]);
  const env = isolatedEnv(join(dir.path, "admin"), {
    AWS_ACCESS_KEY_ID: ACCOUNT,
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: "us-east-1",
  });
  const aws = (ep: string, args: string[]) =>
    spawnSync("aws", ["--endpoint-url", ep, ...args], { env, encoding: "utf8" });

  const motoPort = await freePort();
  const motoUrl = `http://127.0.0.1:${motoPort}`;
  moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(motoPort)], { stdio: "ignore" });
  for (const ep of [emulator.endpoint, motoUrl]) {
    for (let i = 0; i < 50 && aws(ep, ["iam", "list-roles"]).status !== 0; i++)
      await new Promise((ok) => setTimeout(ok, 200));
    await seedBenchRole(ep, dir.path, ACCOUNT);
  }
  // Distinct tokens: each its own jti, sub (all inside the trust policy's `repo:org/repo:*`) and iat
  // (spread over the last hour, all still valid).
  const mintStart = performance.now();
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 0; i < TOKENS + WARMUP_TOKENS; i++) {
    tokens.push(
      await issuer.sign({
        sub: `repo:org/repo:ref:refs/heads/b${i}`,
        aud: "sts.amazonaws.com",
        jti: `bench-${i}`,
        iat: now - (i % 3000),
        exp: now + 3600,
      }),
    );
  }
  const bodies = tokens.map(bodyFor);
  console.log(
    `${bodies.length} distinct tokens minted in ${((performance.now() - mintStart) / 1000).toFixed(1)} s`,
  );
  const warm = bodies.slice(0, WARMUP_TOKENS);
  const measured = bodies.slice(WARMUP_TOKENS);
  // Only the response size matters to the bare server: the emulator's answer for one warm-up token.
  const sample = await fetch(emulator.endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: warm[0]!,
  });
  const bytes = (await sample.arrayBuffer()).byteLength;
  if (sample.status !== 200) throw new Error(`emulator answered ${sample.status} to a valid token`);
  const started = await startBare(bytes);
  bare = started.child;
  const jwk = issuer.publicJwk("rsa-1") as JWK;
  const jwkFile = join(dir.path, "issuer-jwk.json");
  writeFileSync(jwkFile, JSON.stringify(jwk));
  const floorStarted = await startBare(bytes, jwkFile);
  floorServer = floorStarted.child;
  await load(emulator.endpoint, warm.slice(1), 2); // warm-up: JWKS fetch, JIT
  await load(started.url, warm, 2);
  await load(floorStarted.url, warm, 2);
  const e = await load(emulator.endpoint, measured, SECONDS, emulator.process.pid);
  const b = await load(started.url, measured, SECONDS, bare.pid);
  const f = await load(floorStarted.url, measured, SECONDS, floorServer.pid);
  const m = await load(motoUrl, measured, SECONDS, moto.pid);
  const row = (name: string, r: LoadResult) =>
    `${name.padEnd(18)} ${r.rps.toFixed(0).padStart(8)} req/s  ok ${r.ok}  errors ${r.errors}  token wraps ${r.wraps}  server CPU ${r.cpu === undefined ? "?" : r.cpu.toFixed(0)} µs/req  p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms`;
  console.log(
    `AssumeRoleWithWebIdentity, ${CONNECTIONS} connections, ${SECONDS} s each, ${WORKERS} workers, response ${bytes} B, load from ${HAS_WRK ? "wrk -t1" : "a node keep-alive loop"}`,
  );
  console.log(row("keyless emulator", e));
  console.log(row("bare node:http", b));
  console.log(row("verify+issue floor", f));
  console.log(row("moto_server", m));
  console.log(`emulator / bare node:http: ${((100 * e.rps) / b.rps).toFixed(1)} %`);
  console.log(
    `verify+issue floor / bare node:http: ${((100 * f.rps) / b.rps).toFixed(1)} % (the most a server that verifies and issues can reach); emulator / floor: ${((100 * e.rps) / f.rps).toFixed(1)} %`,
  );
  console.log(`emulator / moto: ${(e.rps / m.rps).toFixed(1)}x`);
  if (e.cpu !== undefined && b.cpu !== undefined && m.cpu !== undefined)
    console.log(
      `by server CPU per request: emulator / bare ${((100 * b.cpu) / e.cpu).toFixed(1)} %, emulator / moto ${(m.cpu / e.cpu).toFixed(1)}x${f.cpu === undefined ? "" : `, floor / bare ${((100 * b.cpu) / f.cpu).toFixed(1)} %`}`,
    );
  const v = verifyCost(tokens, jwk);
  console.log(
    `RS256 verify alone (node:crypto, one core, ${v.count} distinct tokens): ${v.cpu.toFixed(1)} µs CPU each, ${(1e6 / v.cpu).toFixed(0)}/s per core`,
  );
  if (e.cpu !== undefined && b.cpu !== undefined) {
    const floor = b.cpu + v.cpu;
    console.log(
      `verify-only ceiling: bare + one verify = ${floor.toFixed(0)} µs/req, ${((100 * b.cpu) / floor).toFixed(1)} % of the bare server; the emulator spends ${e.cpu.toFixed(0)} µs/req, ${((100 * floor) / e.cpu).toFixed(1)} % of that ceiling's rate`,
    );
  }
  if (e.wraps > 0)
    console.log(`note: the emulator saw ${e.wraps} wrap(s) of the token list: pass more tokens`);
  await emulator.stop();
  await issuer.close();
} finally {
  moto?.kill("SIGTERM");
  bare?.kill("SIGTERM");
  floorServer?.kill("SIGTERM");
  dir.cleanup();
}
