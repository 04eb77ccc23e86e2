/**
 * AssumeRoleWithWebIdentity throughput: keyless emulator (validating everything, node:cluster workers)
 * versus moto_server (validating nothing), same request (valid RS256 token, two-condition trust policy),
 * same closed-loop load generator on loopback (keep-alive, CONNECTIONS in flight): wrk with one thread
 * when it is installed (`apt-get install wrk`: C, so it takes little of the cores the servers need),
 * else a Node keep-alive loop.
 *   npm run bench:emulator -- [seconds=10] [connections=16] [workers=2]
 * Not a test: prints figures only. The load generator shares the machine's cores with the servers.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { webIdentityTrust } from "../test/support/aws.js";
import { isolatedEnv, startEmulator } from "../test/support/emulator.js";
import { startTestIssuer } from "../test/support/oidc-issuer.js";
import { freePort } from "../test/support/ports.js";
import { tempDir } from "../test/support/tmp.js";

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 16);
const WORKERS = process.argv[4] ?? "2";
const ACCOUNT = "123456789012";

type LoadResult = { rps: number; ok: number; errors: number; p50: number; p90: number; p99: number };

const HAS_WRK = spawnSync("sh", ["-c", "command -v wrk"]).status === 0;

/** wrk's --latency report, parsed: Requests/sec, the 50/90/99 % lines (us, ms or s), non-2xx count. */
async function loadWithWrk(url: string, body: string): Promise<LoadResult> {
  const script = join(dir.path, "post.lua");
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n`,
  );
  // Asynchronously: the test issuer serving JWKS lives in this process and must keep answering.
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-s", script, url]);
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
    p50: ms("50"),
    p90: ms("90"),
    p99: ms("99"),
  };
}

async function load(url: string, body: string): Promise<LoadResult> {
  return HAS_WRK ? loadWithWrk(url, body) : loadWithNode(url, body);
}

async function loadWithNode(url: string, body: string): Promise<LoadResult> {
  const u = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  const one = () =>
    new Promise<void>((ok) => {
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
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
  };
}

const dir = tempDir("keyless-bench-");
let moto: ChildProcess | undefined;
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
  const trust = JSON.stringify(
    webIdentityTrust(ACCOUNT, "https://token.actions.githubusercontent.com", {
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
      StringLike: { "token.actions.githubusercontent.com:sub": "repo:org/repo:*" },
    }),
  );
  const motoPort = await freePort();
  const motoUrl = `http://127.0.0.1:${motoPort}`;
  moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(motoPort)], { stdio: "ignore" });
  for (const ep of [emulator.endpoint, motoUrl]) {
    for (let i = 0; i < 50 && aws(ep, ["iam", "list-roles"]).status !== 0; i++)
      await new Promise((ok) => setTimeout(ok, 200));
    aws(ep, [
      "iam",
      "create-open-id-connect-provider",
      "--url",
      "https://token.actions.githubusercontent.com",
      "--client-id-list",
      "sts.amazonaws.com",
      "--thumbprint-list",
      "6938fd4d98bab03faadb97b34396831e3780aea1",
    ]);
    const r = aws(ep, ["iam", "create-role", "--role-name", "ci", "--assume-role-policy-document", trust]);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const token = await issuer.sign({ sub: "repo:org/repo:ref:refs/heads/main", aud: "sts.amazonaws.com" });
  const body = `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(`arn:aws:iam::${ACCOUNT}:role/ci`)}&RoleSessionName=bench&WebIdentityToken=${token}`;
  await load(emulator.endpoint, body); // warm-up: JWKS fetch, JIT
  const e = await load(emulator.endpoint, body);
  const m = await load(motoUrl, body);
  const row = (name: string, r: typeof e) =>
    `${name.padEnd(18)} ${r.rps.toFixed(0).padStart(8)} req/s  ok ${r.ok}  errors ${r.errors}  p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms`;
  console.log(
    `AssumeRoleWithWebIdentity, ${CONNECTIONS} connections, ${SECONDS} s each, emulator workers ${WORKERS}, load from ${HAS_WRK ? "wrk -t1" : "a node keep-alive loop"}`,
  );
  console.log(row("keyless emulator", e));
  console.log(row("moto_server", m));
  console.log(`ratio emulator/moto: ${(e.rps / m.rps).toFixed(1)}x`);
  await emulator.stop();
  await issuer.close();
} finally {
  moto?.kill("SIGTERM");
  dir.cleanup();
}
