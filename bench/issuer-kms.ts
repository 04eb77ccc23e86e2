/**
 * Mint rate with signing keys in AWS KMS next to local keys, in one run: `keyless serve` (one process,
 * SQLite) minting through HTTP with `KEYLESS_SIGNER=local` and then `KEYLESS_SIGNER=aws-kms` against a
 * moto_server started here, for RS256 and ES256. Every KMS token is one `Sign` request, so the KMS figure
 * is moto_server's (a single-threaded Python emulator on this machine) Sign rate plus the HTTP round trip:
 * it says what the issuer adds, not what AWS KMS would sustain (AWS's own quotas are per account and
 * Region: https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html). Prints figures;
 * asserts nothing.
 *
 *   npm run bench:kms               (SECONDS=5 CONCURRENCY=16 by default)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Agent } from "node:http";
import { createServer } from "node:net";
import { setTimeout as pause } from "node:timers/promises";
import { jsonClient, seedRun, startBenchServer } from "./support/serve.js";

const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const call = jsonClient(agent);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

async function startMoto(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  for (let i = 0; i < 150; i++) {
    if (
      await fetch(`${url}/moto-api/`).then(
        () => true,
        () => false,
      )
    )
      return { url, child };
    await pause(200);
  }
  child.kill();
  throw new Error("moto_server did not start");
}

async function mintRate(
  alg: "RS256" | "ES256",
  env: NodeJS.ProcessEnv,
): Promise<{ rate: number; errors: number }> {
  const server = await startBenchServer(["--signing-alg", alg, "--log-level", "warn"], env);
  try {
    const run = await seedRun(call, server, "bench");
    const url = `${run.requestUrl}&audience=sts.amazonaws.com`;
    let ok = 0;
    let errors = 0;
    let measuring = false;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const r = await call("GET", url, run.requestToken).catch(() => ({ status: 0, json: {} }));
        if (!measuring) continue;
        if (r.status === 200) ok++;
        else errors++;
      }
    };
    const loops = Array.from({ length: CONCURRENCY }, loop);
    await pause(1000); // warm-up
    measuring = true;
    const start = process.hrtime.bigint();
    await pause(SECONDS * 1000);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    measuring = false;
    stop = true;
    await Promise.all(loops);
    return { rate: ok / elapsed, errors };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const kms = {
    KEYLESS_SIGNER: "aws-kms",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_KMS: moto.url,
  };
  try {
    console.log(
      `keyless mints/s, local keys vs AWS KMS (moto_server), ${SECONDS} s each, ${CONCURRENCY} concurrent\n`,
    );
    console.log("alg    | local mints/s | aws-kms (moto) mints/s | errors");
    console.log("-------|---------------|------------------------|-------");
    for (const alg of ["RS256", "ES256"] as const) {
      const local = await mintRate(alg, {});
      const remote = await mintRate(alg, kms);
      console.log(
        `${alg}  | ${Math.round(local.rate).toString().padStart(13)} | ${Math.round(remote.rate).toString().padStart(22)} | ${local.errors + remote.errors}`,
      );
    }
  } finally {
    moto.child.kill("SIGTERM");
    agent.destroy();
  }
}

await main();
