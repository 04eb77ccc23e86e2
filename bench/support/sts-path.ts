import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createEmulator } from "../../src/aws/emulator.js";
import { systemClock } from "../../src/lib/clock.js";
import { cryptoIds } from "../../src/lib/ids.js";
import { startEmulator } from "../../test/support/emulator.js";
import { startTestIssuer } from "../../test/support/oidc-issuer.js";
import { tempDir } from "../../test/support/tmp.js";
import { BENCH_ISSUER, seedBenchRole } from "./web-identity-role.js";

const CALLS = Number(process.argv[2] ?? 20_000);
const ACCOUNT = "123456789012";
const ISSUER = BENCH_ISSUER;
const dir = tempDir("keyless-sts-path-");
try {
  mkdirSync(join(dir.path, "ca"));
  const issuer = await startTestIssuer(join(dir.path, "ca"), { issuer: ISSUER });
  const data = join(dir.path, "data");
  const seeder = await startEmulator(data);
  await seedBenchRole(seeder.endpoint, dir.path, ACCOUNT);
  await seeder.stop();

  const emulator = await createEmulator({
    dataDir: data,
    trustCaFiles: [issuer.caFile],
    issuerAliases: new Map([["token.actions.githubusercontent.com", issuer.localUrl]]),
    clock: systemClock,
    ids: cryptoIds,
  });
  const now = Math.floor(Date.now() / 1000);
  const bodies: string[] = [];
  for (let i = 0; i < CALLS + 1000; i++) {
    const token = await issuer.sign({
      sub: `repo:org/repo:ref:refs/heads/b${i}`,
      aud: "sts.amazonaws.com",
      jti: `bench-${i}`,
      iat: now - (i % 3000),
    });
    bodies.push(
      `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(`arn:aws:iam::${ACCOUNT}:role/ci`)}&RoleSessionName=bench&WebIdentityToken=${token}`,
    );
  }
  const call = (body: string) =>
    emulator.handle({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-www-form-urlencoded", host: "127.0.0.1" },
      body,
      remoteAddress: "127.0.0.1",
    });
  for (const body of bodies.slice(0, 1000)) {
    const r = await call(body); // warm-up: JWKS fetch, JIT
    if (r.status !== 200) throw new Error(r.body);
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const body of bodies.slice(1000)) await call(body);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${CALLS} AssumeRoleWithWebIdentity in process: ${((cpu.user + cpu.system) / CALLS).toFixed(1)} µs CPU per call (${((wall * 1000) / CALLS).toFixed(1)} µs wall)`,
  );
  await emulator.close();
  await issuer.close();
} finally {
  dir.cleanup();
}
