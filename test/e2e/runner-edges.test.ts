import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DEPLOY_CHAIN, seedGithubDeployChain } from "../support/aws.js";
import { KEYLESS_BIN, runCommand, runKeyless } from "../support/cli.js";
import type { RunningEmulator } from "../support/emulator.js";
import { isolatedEnv } from "../support/emulator.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { startSeededServe } from "../support/serve.js";
import { startTestIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

// The runner where a job's environment meets it, with real processes: `keyless exec` between a job's
// signals and its command (a terminal, a pty from Python's pty module, whose ^C and ^\ reach the whole
// foreground process group; a CI controller that signals keyless alone; a command that dies of a
// signal), and jobs sharing one HOME's AWS files, read back by the AWS CLI.
const { host: HOST, roleArn: ROLE } = DEPLOY_CHAIN;
const SUB = "repo:acme/infra:ref:refs/heads/main";
/** The checkout, whose node_modules hold the AWS SDK for JavaScript v3 the probe imports. */
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The command under `keyless exec`: counts the signal it is told to (one line per arrival), says READY
 * once its handler is in place, and, 2 s after the last one arrived (room for a relayed copy), prints
 * the count.
 */
const COUNTER = `
import signal, sys, time
name = sys.argv[1]
count = 0
last = None
def on(s, f):
    global count, last
    count += 1
    last = time.monotonic()
    print(f"GOT {count}", flush=True)
signal.signal(getattr(signal, name), on)
print("READY", flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and (last is None or time.monotonic() < last + 2):
    time.sleep(0.05)
print(f"{name} x{count}", flush=True)
`;

/**
 * Runs argv on a new pty (its own session, the foreground process group of its terminal), types `key`
 * once the output says READY, then twice more 0.7 s apart (three chances for a relayed copy to show:
 * a copy that lands while the terminal's is still pending merges with it), and prints the whole
 * output after the process ends.
 */
const PTY_DRIVER = `
import os, pty, select, sys, time
key = bytes([int(sys.argv[1])])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out, typed, next_at = b"", 0, None
while True:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if typed == 0 and b"READY" in out:
        next_at = time.monotonic()
    if next_at is not None and typed < 3 and time.monotonic() >= next_at:
        os.write(fd, key)
        typed += 1
        next_at = time.monotonic() + 0.7
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
`;

describe("the runner at the edges of its environment", () => {
  const dir = tempDir("keyless-runner-edges-");
  let issuer: TestIssuer;
  let emulator: RunningEmulator;
  let env: NodeJS.ProcessEnv;
  let tokenFile: string;

  /** The job's token file, role and STS: what `assume` and `exec` both take. */
  const jobArgs = () => [
    "--quiet",
    "--from-file",
    tokenFile,
    "--role-arn",
    ROLE,
    "--endpoint-url",
    emulator.endpoint,
  ];
  const execArgv = (command: string[]) => [KEYLESS_BIN, "exec", ...jobArgs(), "--", ...command];
  const assumeProfile = (name: string, env: NodeJS.ProcessEnv) =>
    runCommand(
      process.execPath,
      [KEYLESS_BIN, "assume", ...jobArgs(), "--format", "profile", "--profile", name],
      {
        env,
      },
    );

  /** keyless exec without a terminal; `onReady` once the command's first line is out. */
  const execPiped = (command: string[], onReady: (pid: number) => void = () => {}) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, execArgv(command), { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let ready = false;
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          stdout += d;
          if (!ready && stdout.includes("READY")) {
            ready = true;
            onReady(child.pid!);
          }
        });
        child.stderr.setEncoding("utf8").on("data", (d: string) => {
          stderr += d;
        });
        const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
      },
    );

  before(async () => {
    ({ issuer, emulator } = await startTestIssuerWithEmulator(dir.path, { issuer: `https://${HOST}` }));
    await seedGithubDeployChain({ endpoint: emulator.endpoint, dir: dir.path, sub: SUB });
    tokenFile = join(dir.path, "token");
    writeFileSync(tokenFile, await issuer.sign({ sub: SUB, aud: "sts.amazonaws.com", run_id: "run-7" }));
    env = isolatedEnv(join(dir.path, "job"), { AWS_DEFAULT_REGION: "us-east-1" });
  });

  after(async () => {
    await emulator?.stop();
    await issuer?.close();
    dir.cleanup();
  });

  // A terminal delivers ^C to keyless and to its command (one process group); a second copy relayed by
  // keyless would make Terraform "exit immediately" instead of stopping gracefully.
  for (const [key, code, name] of [
    ["^C", 3, "SIGINT"],
    ["^\\", 28, "SIGQUIT"],
  ] as const) {
    test(`${key} typed in a terminal reaches the command once per keypress`, async () => {
      const r = await runCommand(
        "python3",
        ["-c", PTY_DRIVER, String(code), process.execPath, ...execArgv(["python3", "-c", COUNTER, name])],
        { env, timeoutMs: 120_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`${name} x3\\b`), r.stdout);
    });
  }

  // Without a terminal (a CI controller cancelling the job), the signal reaches keyless alone: relayed.
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    test(`${name} sent to keyless alone is relayed to the command, once`, async () => {
      const r = await execPiped(["python3", "-c", COUNTER, name], (pid) => process.kill(pid, name));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split("\n").at(-1), `${name} x1`);
    });
  }

  // Two jobs on one machine writing their profiles into one ~/.aws/credentials at once: each is a
  // read-modify-write of the whole file, so without turns one job's rename drops the other's profile.
  test("--format profile: eight jobs at once into one HOME, every profile there and usable", async () => {
    const home = join(dir.path, "shared-home");
    const shared = isolatedEnv(home);
    const names = ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"];
    const runs = await Promise.all(names.map((name) => assumeProfile(name, shared)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    for (const file of [shared.AWS_SHARED_CREDENTIALS_FILE!, shared.AWS_CONFIG_FILE!]) {
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(
        readdirSync(dirname(file)).sort(),
        ["config", "credentials"],
        "no lock or temporary left",
      );
    }
    for (const name of names) {
      const who = await runCommand(
        "aws",
        [
          "sts",
          "get-caller-identity",
          "--profile",
          name,
          "--query",
          "Arn",
          "--output",
          "text",
          "--endpoint-url",
          emulator.endpoint,
        ],
        { env: shared },
      );
      assert.equal(who.code, 0, `profile ${name}: ${who.stderr}`);
      assert.match(who.stdout, /assumed-role\/deploy\//);
    }
  });

  test("--format profile: a lock left by a job that died is taken over, not waited on forever", async () => {
    const shared = isolatedEnv(join(dir.path, "stale-home"));
    const lock = `${shared.AWS_SHARED_CREDENTIALS_FILE}.lock`;
    writeFileSync(lock, "999999\n");
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    const r = await assumeProfile("ci", shared);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(shared.AWS_SHARED_CREDENTIALS_FILE!, "utf8"), /^\[ci\]$/m);
    assert.equal(existsSync(lock), false);
  });

  // The region: STS needs one (us-east-1 by default), but a command's own region is its profile's
  // unless the job names one; boto3 and the AWS SDK for JavaScript v3 say which they would use.
  const REGION_PROBE = `import boto3; print("boto3", boto3.Session().region_name)`;
  const SDK_PROBE = `import { STSClient } from "@aws-sdk/client-sts"; console.log("sdk", await new STSClient({}).config.region());`;
  const regionsUnderExec = async (env: NodeJS.ProcessEnv, options: string[] = []) => {
    const r = await runCommand(
      process.execPath,
      [
        KEYLESS_BIN,
        "exec",
        ...jobArgs(),
        ...options,
        "--",
        "sh",
        "-c",
        `python3 -c '${REGION_PROBE}' && node --input-type=module -e '${SDK_PROBE}'`,
      ],
      { env, cwd: REPO },
    );
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split("\n");
  };

  test("exec without a region anywhere: the command gets the one STS was called in", async () => {
    const env = isolatedEnv(join(dir.path, "no-region-home"));
    assert.deepEqual(await regionsUnderExec(env), ["boto3 us-east-1", "sdk us-east-1"]);
  });

  test("exec without a region: the command keeps its profile's region", async () => {
    const env = isolatedEnv(join(dir.path, "region-home"));
    writeFileSync(env.AWS_CONFIG_FILE!, "[default]\nregion = eu-west-1\n");
    assert.deepEqual(await regionsUnderExec(env), ["boto3 eu-west-1", "sdk eu-west-1"]);
  });

  for (const [what, extra, options, region] of [
    ["--region", {}, ["--region", "ap-southeast-2"], "ap-southeast-2"],
    [
      "AWS_REGION alone (the AWS CLI v1 reads only AWS_DEFAULT_REGION)",
      { AWS_REGION: "ca-central-1" },
      [],
      "ca-central-1",
    ],
  ] as const) {
    test(`exec with ${what}: the command uses it`, async () => {
      const env = isolatedEnv(join(dir.path, `region-home-${region}`), extra);
      writeFileSync(env.AWS_CONFIG_FILE!, "[default]\nregion = eu-west-1\n");
      assert.deepEqual(await regionsUnderExec(env, [...options]), [`boto3 ${region}`, `sdk ${region}`]);
    });
  }

  // A [default] profile that gives credentials wins over keyless's endpoint in every SDK's chain, in the
  // config file as much as in the credentials file: exec says so, naming the file and the setting.
  for (const [file, content, setting] of [
    [
      "AWS_CONFIG_FILE",
      "[default]\naws_access_key_id = 111111111111\naws_secret_access_key = test\n",
      "aws_access_key_id",
    ],
    ["AWS_SHARED_CREDENTIALS_FILE", "[default]\ncredential_process = /bin/false\n", "credential_process"],
  ] as const) {
    test(`exec warns about a [default] profile with ${setting} in ${file}`, async () => {
      const env = isolatedEnv(join(dir.path, `default-${setting}`));
      writeFileSync(env[file]!, content);
      const r = await runCommand(
        process.execPath,
        [KEYLESS_BIN, "exec", ...jobArgs().slice(1), "--", "true"],
        { env },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        r.stderr.includes(
          `keyless: warning: the [default] profile gives credentials (${env[file]}: ${setting})`,
        ),
        r.stderr,
      );
    });
  }

  test("exec does not warn about a [default] profile that only sets a region", async () => {
    const env = isolatedEnv(join(dir.path, "default-region-only"));
    writeFileSync(env.AWS_CONFIG_FILE!, "[default]\nregion = eu-west-1\n");
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, "[ci]\naws_access_key_id = 111111111111\n");
    const r = await runCommand(process.execPath, [KEYLESS_BIN, "exec", ...jobArgs().slice(1), "--", "true"], {
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
  });

  // EKS (IRSA) puts the token file, the role and the session name in the variables every AWS SDK reads;
  // the token file is a projected volume's symbolic link (..data swapped by the kubelet on rotation).
  test("an EKS pod's AWS_WEB_IDENTITY_TOKEN_FILE (a symlink), AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME", async () => {
    const volume = join(dir.path, "projected");
    mkdirSync(join(volume, "..2026_11_30"), { recursive: true });
    // A service-account token names no run: the session name is the pod's.
    writeFileSync(
      join(volume, "..2026_11_30", "token"),
      await issuer.sign({ sub: SUB, aud: "sts.amazonaws.com" }),
    );
    symlinkSync("..2026_11_30", join(volume, "..data"));
    symlinkSync("..data/token", join(volume, "token"));
    const env = isolatedEnv(join(dir.path, "pod"), {
      AWS_WEB_IDENTITY_TOKEN_FILE: join(volume, "token"),
      AWS_ROLE_ARN: ROLE,
      AWS_ROLE_SESSION_NAME: "pod-abc",
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
    });
    const r = await runCommand(
      process.execPath,
      [KEYLESS_BIN, "exec", "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /token from projected service-account token/);
    assert.equal(
      r.stdout.trim(),
      ROLE.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/pod-abc",
    );
  });

  // The command's death by a signal is keyless's own, so a caller (a shell, a CI runner) sees it.
  for (const name of ["SIGTERM", "SIGHUP"] as const) {
    test(`a command killed by ${name}: keyless dies of ${name} too`, async () => {
      const r = await execPiped(["sh", "-c", `kill -${name.slice(3)} $$`]);
      assert.equal(r.signal, name, `code ${r.code}, stderr: ${r.stderr}`);
      assert.equal(r.stderr, "");
    });
  }
});

// The job's token endpoint busy: a real `keyless serve` whose per-run budget is one token per 10 s
// window answers the second request of a run 429 with Retry-After, as it answers 503 during a database
// outage. The runner waits and asks again, as it does STS; out of attempts, it is a failure outside
// keyless (exit 3), never the job's bad input.
describe("the runner and a busy token endpoint", () => {
  const dir = tempDir("keyless-runner-busy-");
  let serve: Awaited<ReturnType<typeof startSeededServe>>;

  before(async () => {
    serve = await startSeededServe(dir.path, [], {
      KEYLESS_TOKEN_RATE_LIMIT_PER_RUN: "1",
      KEYLESS_RATE_LIMIT_WINDOW: "10s",
    });
  });

  after(async () => {
    await serve?.server.stop();
    dir.cleanup();
  });

  /** `keyless token` for a fresh run, twice: the second is over the run's budget. */
  const twice = async (env: NodeJS.ProcessEnv) => {
    const run = await serve.startRun();
    const job = {
      ...env,
      KEYLESS_ID_TOKEN_REQUEST_URL: run.requestUrl,
      KEYLESS_ID_TOKEN_REQUEST_TOKEN: run.requestToken,
    };
    const first = await runKeyless(["token", "--quiet"], { env: job });
    assert.equal(first.code, 0, first.stderr);
    return runKeyless(["token", "--quiet"], { env: job });
  };

  test("a 429 with Retry-After is waited out: the token comes", async () => {
    const env = isolatedEnv(join(dir.path, "job-wait"));
    delete env.AWS_MAX_ATTEMPTS;
    const r = await twice(env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split(".").length, 3, "a JWT");
  });

  // A malformed --role-arn is known before the token is fetched: no token is minted (and audited) for
  // it, so the run's budget is whole for the corrected command.
  test("a malformed --role-arn fails before the token request: exit 2, the run's budget untouched", async () => {
    const run = await serve.startRun();
    const job = isolatedEnv(join(dir.path, "job-bad-role"), {
      AWS_MAX_ATTEMPTS: "1",
      KEYLESS_ID_TOKEN_REQUEST_URL: run.requestUrl,
      KEYLESS_ID_TOKEN_REQUEST_TOKEN: run.requestToken,
    });
    for (const arn of ["arn:aws:iam::1111:role/deploy", "arn:aws:iam::111111111111:role/"]) {
      const bad = await runKeyless(["assume", "--quiet", "--role-arn", arn], { env: job });
      assert.equal(bad.code, 2, bad.stderr);
      assert.equal(
        bad.stderr,
        `keyless: --role-arn is not a role ARN: "${arn}" (expected arn:aws:iam::<12 digits>:role/<name>)\n`,
      );
    }
    const token = await runKeyless(["token", "--quiet"], { env: job });
    assert.equal(token.code, 0, `the run's one token is still there: ${token.stderr}`);
  });

  test("out of attempts, a 429 is a failure outside keyless: exit 3, one line", async () => {
    const r = await twice(isolatedEnv(join(dir.path, "job-give-up"), { AWS_MAX_ATTEMPTS: "1" }));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^keyless: keyless issuer: the token request failed \(HTTP 429: .+\)\n$/);
  });
});
