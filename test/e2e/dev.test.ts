import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { KEYLESS_BIN, runCommand } from "../support/cli.js";
import { isolatedEnv } from "../support/emulator.js";
import { freePort } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";

// `keyless dev` as a newcomer meets it: start it, paste the walkthrough it prints into a shell, and
// see each step do what it says; then stop it with Ctrl-C and start it again on the same data dir.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

interface Started {
  child: ChildProcess;
  out: () => string;
}

async function startDev(
  dataDir: string,
  issuerPort: number,
  awsPort: number,
  env: NodeJS.ProcessEnv,
): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      KEYLESS_BIN,
      "dev",
      "--data-dir",
      dataDir,
      "--issuer-port",
      String(issuerPort),
      "--aws-port",
      String(awsPort),
    ],
    {
      env,
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keyless dev did not start in 60 s:\n${out}`)), 60_000);
    const poll = setInterval(() => {
      if (
        out.includes("npx keyless assume --role-arn arn:aws:iam::111111111111:role/demo-production-apply")
      ) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 50);
    child.once("exit", (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`keyless dev exited ${code}:\n${out}`));
    });
  });
  return { child, out: () => out };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
    child.kill("SIGINT");
  });
}

describe("keyless dev", () => {
  const dir = tempDir("keyless-dev-");
  const dataDir = join(dir.path, "data");
  let env: NodeJS.ProcessEnv;
  let ports: [number, number];
  let dev: Started;

  before(async () => {
    env = isolatedEnv(join(dir.path, "user"));
    ports = [await freePort(), await freePort()];
    dev = await startDev(dataDir, ports[0], ports[1], env);
  });
  after(async () => {
    if (dev) await stop(dev.child);
    dir.cleanup();
  });

  test("writes dev.json (0600) with every key a script needs", () => {
    const file = join(dataDir, "dev.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const info = JSON.parse(readFileSync(file, "utf8"));
    for (const key of [
      "issuerUrl",
      "awsEndpoint",
      "region",
      "caFile",
      "adminKey",
      "roleArn",
      "chainRoleArn",
      "requestUrl",
      "requestToken",
    ]) {
      assert.equal(typeof info[key], "string", key);
      assert.ok(info[key].length > 0, key);
    }
    assert.equal(info.issuerUrl, `https://127.0.0.1:${ports[0]}`);
    assert.equal(info.awsEndpoint, `http://127.0.0.1:${ports[1]}`);
    assert.ok(statSync(info.caFile).isFile());
  });

  test("the printed walkthrough works when pasted into a shell", async () => {
    const walkthrough = dev.out().slice(dev.out().indexOf("In another terminal"));
    const script = walkthrough.split("\n").slice(1).join("\n");
    const r = await runCommand("bash", ["-c", script], { env, cwd: REPO, timeoutMs: 120_000 });
    // 2: the token, decoded
    assert.match(r.stdout, /"sub": "org:demo:project:infra:env:staging:phase:apply"/);
    // 3: assume + the AWS CLI
    assert.match(r.stdout, /"Arn": "arn:aws:sts::111111111111:assumed-role\/demo-staging-apply\/[\w-]+"/);
    // 4: exec, chained into the workload account
    assert.match(r.stdout, /"Arn": "arn:aws:sts::222222222222:assumed-role\/demo-workload\/[\w-]+"/);
    // 5: a second run started with the admin commands, its token as its job gets it
    assert.match(r.stdout, /"sub": "org:demo:project:infra:env:production:phase:plan"/);
    // 6: the runs (the demo run and the second one) and the audit log
    assert.match(r.stdout, /\n[0-9a-f-]{36}\s+running\s+plan\s/);
    assert.match(r.stdout, /\n[0-9a-f-]{36}\s+running\s+apply\s/);
    assert.match(r.stdout, /\bkey:[0-9a-f-]{36}\s+run\.create\s/);
    assert.match(r.stdout, /\btoken\.mint\s/);
    // 7: the refusal, explained with the failing condition
    assert.match(
      r.stderr,
      /condition StringEquals 127\.0\.0\.1:\d+:sub: token has "org:demo:project:infra:env:staging:phase:apply", policy wants "org:demo:project:infra:env:production:phase:apply" -> no match/,
    );
    assert.match(r.stderr, /keyless: STS refused: AccessDenied/);
    assert.equal(r.code, 1, "the last step is the refusal");
    // keyless dev printed the refusal with its decision-log event, which explain reads back.
    const refusal =
      /keyless dev: refused \S+ (\S+) AccessDenied sts:AssumeRoleWithWebIdentity \S+:org:demo:project:infra:env:staging:phase:apply: Not authorized to perform sts:AssumeRoleWithWebIdentity/;
    // The line was written before the response; wait until this process has read it from the pipe.
    for (let i = 0; i < 600 && !refusal.test(dev.out()); i++) await new Promise((ok) => setTimeout(ok, 50));
    const id = refusal.exec(dev.out())?.[1];
    assert.ok(id, dev.out());
    const explained = await runCommand(
      process.execPath,
      [KEYLESS_BIN, "explain", "--event", id, "--data-dir", join(dataDir, "aws")],
      { env, cwd: REPO },
    );
    assert.equal(explained.code, 1, explained.stderr);
    assert.match(
      explained.stdout,
      /sts:AssumeRoleWithWebIdentity by .*\nAccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity/,
    );
  });

  test("Ctrl-C stops it cleanly; the next start on the same data dir keeps the state and works", async () => {
    const first = JSON.parse(readFileSync(join(dataDir, "dev.json"), "utf8"));
    assert.equal(await stop(dev.child), 0);
    dev = await startDev(dataDir, ports[0], ports[1], env);
    const second = JSON.parse(readFileSync(join(dataDir, "dev.json"), "utf8"));
    assert.equal(second.adminKey, first.adminKey, "the admin key survives a restart");
    assert.equal(second.caFile, first.caFile);
    assert.notEqual(second.requestToken, first.requestToken, "each start makes a fresh demo run");
    const r = await runCommand(
      process.execPath,
      [
        KEYLESS_BIN,
        "assume",
        "--format",
        "json",
        "--role-arn",
        second.roleArn,
        "--ca",
        second.caFile,
        "--endpoint-url",
        second.awsEndpoint,
      ],
      {
        env: {
          ...env,
          KEYLESS_ID_TOKEN_REQUEST_URL: second.requestUrl,
          KEYLESS_ID_TOKEN_REQUEST_TOKEN: second.requestToken,
        },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      JSON.parse(r.stdout).AssumedRoleUser.Arn,
      /^arn:aws:sts::111111111111:assumed-role\/demo-staging-apply\//,
    );
  });

  test("a port in use is one line naming the flag", async () => {
    const r = await runCommand(
      process.execPath,
      [
        KEYLESS_BIN,
        "dev",
        "--data-dir",
        join(dir.path, "other"),
        "--issuer-port",
        String(ports[0]),
        "--aws-port",
        String(await freePort()),
      ],
      { env, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^keyless: the port of --issuer-port \d+ is in use: .* --issuer-port\n$/);
  });
});
