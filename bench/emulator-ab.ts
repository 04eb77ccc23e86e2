/**
 * A/B of the emulator's AssumeRoleWithWebIdentity CPU per request between builds, in one run: one test
 * issuer, one `keyless emulator` per checkout (each its own data dir, port, same role and trust policy),
 * and wrk rounds alternated between them (ABAB…, then BABA… on odd rounds) with the same distinct RS256
 * tokens. Prints, per build, the server's CPU per answered request (the process tree, from /proc) and
 * req/s for every round. On a shared machine throughput moves with everyone else's load; CPU per request
 * moves far less, and alternating spreads the rest over every build alike (docs/performance.md).
 *
 *   npm run build && node dist/bench/emulator-ab.js SECONDS ROUNDS CONNECTIONS WORKERS CHECKOUT…
 *
 * A CHECKOUT is a directory holding a built keyless (bin/keyless.js and its dist/), e.g. a `git archive`
 * of another commit built there. Needs wrk and the AWS CLI (for seeding). Not a test: prints figures.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestIssuer } from "../test/support/oidc-issuer.js";
import { freePort } from "../test/support/ports.js";
import { tempDir } from "../test/support/tmp.js";
import { untilListening } from "./support/cluster-primary.js";
import { treeCpuSeconds } from "./support/tree-cpu.js";
import { BENCH_ISSUER, seedBenchRole } from "./support/web-identity-role.js";

const [SECONDS, ROUNDS, CONNECTIONS, WORKERS] = process.argv.slice(2, 6).map(Number) as [
  number,
  number,
  number,
  number,
];
const CHECKOUTS = process.argv.slice(6);
const TOKENS = 40_000;
const ACCOUNT = "123456789012";
const ISSUER = BENCH_ISSUER;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/ci`;

if (CHECKOUTS.length === 0 || [SECONDS, ROUNDS, CONNECTIONS, WORKERS].some((n) => !(n > 0))) {
  process.stderr.write(
    "usage: node dist/bench/emulator-ab.js SECONDS ROUNDS CONNECTIONS WORKERS CHECKOUT…\n",
  );
  process.exit(2);
}

interface Build {
  readonly checkout: string;
  readonly endpoint: string;
  readonly process: ChildProcess;
  readonly cpu: number[];
  readonly rps: number[];
}

/** Starts the checkout's `keyless emulator`; resolves once it listens, rejects if it exits first. */
async function startBuild(checkout: string, dataDir: string, caFile: string, issuerUrl: string) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(checkout, "bin", "keyless.js"),
      "emulator",
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--workers",
      String(WORKERS),
      "--trust-ca",
      caFile,
      "--issuer-alias",
      `token.actions.githubusercontent.com=${issuerUrl}`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await untilListening(child, `${checkout}: emulator`);
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

const dir = tempDir("keyless-emulator-ab-");
const builds: Build[] = [];
try {
  mkdirSync(join(dir.path, "ca"));
  const issuer = await startTestIssuer(join(dir.path, "ca"), { issuer: ISSUER });
  for (const [i, checkout] of CHECKOUTS.entries()) {
    const { endpoint, child } = await startBuild(
      checkout,
      join(dir.path, `data-${i}`),
      issuer.caFile,
      issuer.localUrl,
    );
    builds.push({ checkout, endpoint, process: child, cpu: [], rps: [] });
    await seedBenchRole(endpoint, dir.path, ACCOUNT);
  }
  // Distinct tokens (own jti, sub, iat); every build sees the same ones, each build its own process.
  const now = Math.floor(Date.now() / 1000);
  const bodies: string[] = [];
  for (let i = 0; i < TOKENS; i++) {
    const token = await issuer.sign({
      sub: `repo:org/repo:ref:refs/heads/b${i}`,
      aud: "sts.amazonaws.com",
      jti: `ab-${i}`,
      iat: now - (i % 3000),
      exp: now + 3600,
    });
    bodies.push(
      `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE_ARN)}&RoleSessionName=bench&WebIdentityToken=${token}`,
    );
  }
  const file = join(dir.path, "bodies.txt");
  writeFileSync(file, `${bodies.join("\n")}\n`);
  const script = join(dir.path, "post.lua");
  // Each round starts at a random place in the list, so rounds do not replay the same tokens in order.
  writeFileSync(
    script,
    `local bodies = {}
for line in io.lines(${JSON.stringify(file)}) do bodies[#bodies + 1] = line end
local i = math.random(#bodies)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
function request()
  i = i + 1
  if i > #bodies then i = 1 end
  return wrk.format(nil, "/", nil, bodies[i])
end
`,
  );
  const wrk = (endpoint: string, seconds: number) =>
    new Promise<string>((ok, fail) => {
      const child = spawn("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "-s", script, endpoint]);
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      child.on("error", fail);
      child.on("close", () => ok(out));
    });
  for (const b of builds) await wrk(b.endpoint, 2); // warm-up: JWKS fetch, JIT
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of round % 2 === 0 ? builds : [...builds].reverse()) {
      const before = treeCpuSeconds(b.process.pid);
      const out = await wrk(b.endpoint, SECONDS);
      const after = treeCpuSeconds(b.process.pid);
      const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
      const failed = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      if (failed > 0) throw new Error(`${b.checkout}: ${failed} requests failed`);
      if (before !== undefined && after !== undefined && total > 0)
        b.cpu.push(((after - before) * 1e6) / total);
      b.rps.push(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0));
    }
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `AssumeRoleWithWebIdentity A/B: ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections, ${WORKERS} worker(s), load average ${load}`,
  );
  for (const b of builds) {
    const sorted = [...b.cpu].sort((x, y) => x - y);
    console.log(
      `${b.checkout}: server CPU µs/req ${b.cpu.map((c) => c.toFixed(0)).join(" ")} (median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0) ?? "?"}); req/s ${b.rps.map((r) => r.toFixed(0)).join(" ")}`,
    );
  }
  await issuer.close();
} finally {
  for (const b of builds) b.process.kill("SIGTERM");
  await new Promise((ok) => setTimeout(ok, 500));
  dir.cleanup();
}
