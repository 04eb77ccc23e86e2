/**
 * The HTTP fuzz suite of test/unit/fuzz/http-fuzz.test.ts with many more runs: the AWS emulator's Query
 * protocol, the admin API and the token endpoint of an in-process `keyless serve --aws-emulator`, each
 * answer checked for a 5xx (other than the documented 503s), the protocol's error shape and stack traces.
 * Violations are collected instead of stopping at the first one; prints, per surface, the requests sent,
 * the statuses answered and the failures found, and exits 1 when there is any.
 *
 *   npm run bench:fuzz              (RUNS=5000 per surface, SEED=random by default; both printed)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { FUZZ_PROPERTIES, fuzzTarget } from "../test/support/fuzz.js";

const RUNS = Number(process.env.RUNS ?? 5000);
const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));

async function main(): Promise<void> {
  console.log(`fuzz: ${RUNS} requests per surface, seed ${SEED}`);
  let total = 0;
  let failures = 0;
  for (const [name, property] of Object.entries(FUZZ_PROPERTIES)) {
    const dir = mkdtempSync(join(tmpdir(), "keyless-fuzz-"));
    const target = await fuzzTarget(dir);
    const found: string[] = [];
    const started = process.hrtime.bigint();
    try {
      const result = await fc.check(property(target, found), { seed: SEED, numRuns: RUNS });
      // The property records violations and goes on; anything else failing is the harness itself.
      if (result.failed) found.push(`harness: ${String(result.errorInstance)}`);
    } finally {
      await target.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const statuses = [...target.statuses.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(" ");
    console.log(
      `${name.padEnd(9)} ${String(target.requests).padStart(6)} requests in ${seconds.toFixed(1)} s, ${found.length} failures; statuses ${statuses}`,
    );
    const codes = [...target.codes.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c}×${n}`)
      .join(" ");
    console.log(`          codes ${codes}`);
    for (const f of found.slice(0, 5)) console.log(`  ${f.slice(0, 600)}`);
    total += target.requests;
    failures += found.length;
  }
  console.log(`total: ${total} requests, ${failures} failures (seed ${SEED})`);
  if (failures > 0) process.exitCode = 1;
}

await main();
