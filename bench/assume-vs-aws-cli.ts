/**
 * Start-up cost of the job side: `keyless assume` next to `aws sts assume-role-with-web-identity` for
 * the same exchange (same emulator, role, token file), wall time per run. hyperfine when it is
 * installed (`apt-get install hyperfine`), else a sequential loop here. Not a test: prints figures.
 * Target from the runner issue: keyless at a third of the AWS CLI's time or less.
 *
 *   npm run bench:assume -- [runs=20]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seedWebIdentityRole } from "../test/support/aws.js";
import { KEYLESS_BIN } from "../test/support/cli.js";
import { isolatedEnv, startEmulator } from "../test/support/emulator.js";
import { startTestIssuer } from "../test/support/oidc-issuer.js";
import { tempDir } from "../test/support/tmp.js";

const RUNS = Number(process.argv[2] ?? 20);
const ACCOUNT = "123456789012";
const HOST = "token.actions.githubusercontent.com";

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("close", (code) => resolve({ code, out }));
  });
}

const dir = tempDir("keyless-bench-assume-");
try {
  mkdirSync(join(dir.path, "ca"));
  const issuer = await startTestIssuer(join(dir.path, "ca"), { issuer: `https://${HOST}` });
  const emulator = await startEmulator(join(dir.path, "data"), [
    "--trust-ca",
    issuer.caFile,
    "--issuer-alias",
    `${HOST}=${issuer.localUrl}`,
  ]);
  const { roleArn: role } = await seedWebIdentityRole({
    endpoint: emulator.endpoint,
    dir: dir.path,
    account: ACCOUNT,
    providerUrl: `https://${HOST}`,
    roleName: "deploy",
    condition: {
      StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com" },
      StringLike: { [`${HOST}:sub`]: "repo:acme/*" },
    },
  });
  const tokenFile = join(dir.path, "token");
  writeFileSync(
    tokenFile,
    await issuer.sign({ sub: "repo:acme/infra:ref:refs/heads/main", aud: "sts.amazonaws.com" }),
  );
  const env = isolatedEnv(join(dir.path, "job"), { AWS_DEFAULT_REGION: "us-east-1" });
  const commands: [string, string, string[]][] = [
    [
      "keyless assume",
      process.execPath,
      [
        KEYLESS_BIN,
        "assume",
        "--quiet",
        "--from-file",
        tokenFile,
        "--role-arn",
        role,
        "--endpoint-url",
        emulator.endpoint,
        "--session-name",
        "bench",
        "--format",
        "json",
      ],
    ],
    [
      "aws sts assume-role-with-web-identity",
      "aws",
      [
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role,
        "--role-session-name",
        "bench",
        "--web-identity-token",
        `file://${tokenFile}`,
        "--endpoint-url",
        emulator.endpoint,
        "--output",
        "json",
      ],
    ],
  ];
  for (const [name, command, args] of commands) {
    const check = await run(command, args, env);
    if (check.code !== 0 || !check.out.includes("SessionToken"))
      throw new Error(`${name} failed: ${check.out}`);
  }
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const hasHyperfine = spawnSync("sh", ["-c", "command -v hyperfine"]).status === 0;
  const means: number[] = [];
  console.log(
    `AssumeRoleWithWebIdentity against the keyless emulator, ${RUNS} runs each (${hasHyperfine ? "hyperfine" : "sequential loop"})`,
  );
  for (const [name, command, args] of commands) {
    let mean: number;
    let spread: string;
    if (hasHyperfine) {
      const exported = join(dir.path, "h.json");
      // Asynchronously: the test issuer in this process keeps serving JWKS meanwhile.
      await run(
        "hyperfine",
        [
          "-N",
          "-w",
          "3",
          "-r",
          String(RUNS),
          "--export-json",
          exported,
          [command, ...args].map(quote).join(" "),
        ],
        env,
      );
      const result = JSON.parse(readFileSync(exported, "utf8")).results[0];
      mean = result.mean * 1000;
      spread = `± ${(result.stddev * 1000).toFixed(0)} ms, min ${(result.min * 1000).toFixed(0)} ms`;
    } else {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await run(command, args, env);
        times.push(performance.now() - t0);
      }
      mean = times.reduce((a, b) => a + b, 0) / times.length;
      spread = `min ${Math.min(...times).toFixed(0)} ms`;
    }
    means.push(mean);
    console.log(`  ${name.padEnd(40)} ${mean.toFixed(0).padStart(6)} ms  (${spread})`);
  }
  console.log(`  keyless / aws cli: ${(means[0]! / means[1]!).toFixed(2)} (target: 0.33 or less)`);
  await emulator.stop();
  await issuer.close();
} finally {
  dir.cleanup();
}
