import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEPLOY_CHAIN, seedGithubDeployChain } from "../support/aws.js";
import { KEYLESS_BIN, runCommand } from "../support/cli.js";
import type { RunningEmulator } from "../support/emulator.js";
import { isolatedEnv } from "../support/emulator.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { startTestIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

// `keyless exec` between a job's signals and its command, with real processes: a terminal (a pty from
// Python's pty module) whose ^C and ^\ reach the whole foreground process group, a CI controller that
// signals keyless alone, and a command that dies of a signal.
const { host: HOST, roleArn: ROLE } = DEPLOY_CHAIN;
const SUB = "repo:acme/infra:ref:refs/heads/main";

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

describe("keyless exec and signals", () => {
  const dir = tempDir("keyless-exec-signals-");
  let issuer: TestIssuer;
  let emulator: RunningEmulator;
  let env: NodeJS.ProcessEnv;
  let tokenFile: string;

  const execArgv = (command: string[]) => [
    KEYLESS_BIN,
    "exec",
    "--quiet",
    "--from-file",
    tokenFile,
    "--role-arn",
    ROLE,
    "--endpoint-url",
    emulator.endpoint,
    "--",
    ...command,
  ];

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

  // The command's death by a signal is keyless's own, so a caller (a shell, a CI runner) sees it.
  for (const name of ["SIGTERM", "SIGHUP"] as const) {
    test(`a command killed by ${name}: keyless dies of ${name} too`, async () => {
      const r = await execPiped(["sh", "-c", `kill -${name.slice(3)} $$`]);
      assert.equal(r.signal, name, `code ${r.code}, stderr: ${r.stderr}`);
      assert.equal(r.stderr, "");
    });
  }
});
