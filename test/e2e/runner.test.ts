import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { boto3RefreshProbe, DEPLOY_CHAIN, refreshReport, seedGithubDeployChain } from "../support/aws.js";
import { KEYLESS_BIN, type RunResult, runCommand, runKeyless } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator, startEmulator } from "../support/emulator.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { startTestIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

// The runner against a real emulator process, with the real consumers of each output: a shell's eval,
// a dotenv file read back by bash, the AWS CLI through credential_process and through a written
// profile, boto3 inside `keyless exec` across several expiries of short sessions.
const { tooling: TOOLING, workload: WORKLOAD, host: HOST, roleArn: ROLE, chainRoleArn: CHAIN } = DEPLOY_CHAIN;
const SUB = "repo:acme/infra:ref:refs/heads/main";
/**
 * A test setting of the second emulator, the one `keyless exec` is tested against: every session ends
 * after this many seconds, so renewals happen within a test. The one-shot outputs use an emulator with
 * AWS's normal session length: on a loaded machine the AWS CLI alone can take longer than 6 s to start,
 * and a one-shot credential that expired before its first use would test nothing of keyless.
 */
const SESSION_SECONDS = 6;

describe("keyless assume and keyless exec against the emulator", () => {
  const dir = tempDir("keyless-runner-");
  let issuer: TestIssuer;
  let emulator: RunningEmulator;
  /** The emulator with short sessions, for `keyless exec`'s renewals. */
  let short: RunningEmulator;
  let execEnv: NodeJS.ProcessEnv;
  let tokenFile: string;
  let badTokenFile: string;
  let jobEnv: NodeJS.ProcessEnv;

  const ok = (r: RunResult) => assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const keyless = (args: string[], env: NodeJS.ProcessEnv = jobEnv) => runKeyless(args, { env });
  const assumeArgs = (...extra: string[]) => [
    "assume",
    "--from-file",
    tokenFile,
    "--role-arn",
    ROLE,
    "--endpoint-url",
    emulator.endpoint,
    "--session-name",
    "ci-run",
    ...extra,
  ];
  /** `keyless exec` with the job's token file, the tooling role and the emulator, then `-- command`. */
  const execArgs = (options: string[], command: string[]) => [
    "exec",
    "--from-file",
    tokenFile,
    "--role-arn",
    ROLE,
    "--endpoint-url",
    short.endpoint,
    ...options,
    "--",
    ...command,
  ];

  before(async () => {
    ({ issuer, emulator } = await startTestIssuerWithEmulator(dir.path, { issuer: `https://${HOST}` }));
    short = await startEmulator(join(dir.path, "short"), [
      "--trust-ca",
      issuer.caFile,
      "--issuer-alias",
      `${HOST}=${issuer.localUrl}`,
      "--test-max-session-seconds",
      String(SESSION_SECONDS),
    ]);
    for (const endpoint of [emulator.endpoint, short.endpoint]) {
      await seedGithubDeployChain({ endpoint, dir: dir.path, sub: SUB });
    }

    tokenFile = join(dir.path, "token");
    writeFileSync(tokenFile, await issuer.sign({ sub: SUB, aud: "sts.amazonaws.com", run_id: "run-42" }));
    badTokenFile = join(dir.path, "bad-token");
    writeFileSync(
      badTokenFile,
      await issuer.sign({ sub: "repo:acme/infra:ref:refs/heads/feature", aud: "sts.amazonaws.com" }),
    );
    jobEnv = isolatedEnv(join(dir.path, "job"), {
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
    });
    execEnv = { ...jobEnv, AWS_ENDPOINT_URL_STS: short.endpoint };
  });

  after(async () => {
    await emulator?.stop();
    await short?.stop();
    await issuer?.close();
    dir.cleanup();
  });

  const callerArn = async (env: NodeJS.ProcessEnv, extra: string[] = []) => {
    const r = await runCommand("aws", ["sts", "get-caller-identity", "--output", "json", ...extra], { env });
    ok(r);
    return JSON.parse(r.stdout).Arn as string;
  };

  test("--format env, evaluated by a shell, gives credentials the AWS CLI uses", async () => {
    const script = `eval "$(node "$KEYLESS" ${assumeArgs()
      .map((a) => `'${a}'`)
      .join(" ")})" && aws sts get-caller-identity --query Arn --output text`;
    const r = await runCommand("sh", ["-c", script], { env: { ...jobEnv, KEYLESS: KEYLESS_BIN } });
    ok(r);
    assert.equal(r.stdout.trim(), `arn:aws:sts::${TOOLING}:assumed-role/deploy/ci-run`);
    assert.match(r.stderr, /keyless: token from file/);
  });

  test("--format dotenv appends to a file a shell reads back ($GITHUB_ENV / $ENV0_ENV)", async () => {
    const envFile = join(dir.path, "github_env");
    writeFileSync(envFile, "EXISTING=kept\n");
    ok(await keyless(assumeArgs("--format", "dotenv", "--out", envFile)));
    const text = readFileSync(envFile, "utf8");
    assert.match(text, /^EXISTING=kept\n/);
    const r = await runCommand(
      "bash",
      [
        "-c",
        `set -a; . "$1"; set +a; aws sts get-caller-identity --query Arn --output text`,
        "bash",
        envFile,
      ],
      { env: jobEnv },
    );
    ok(r);
    assert.equal(r.stdout.trim(), `arn:aws:sts::${TOOLING}:assumed-role/deploy/ci-run`);
  });

  test("--format credential-process, used by the AWS CLI through a profile", async () => {
    const env = isolatedEnv(join(dir.path, "cp"), {
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
    });
    const command = [process.execPath, KEYLESS_BIN, ...assumeArgs("--format", "credential-process")].join(
      " ",
    );
    writeFileSync(env.AWS_CONFIG_FILE!, `[profile keyless]\ncredential_process = ${command}\n`);
    assert.equal(
      await callerArn(env, ["--profile", "keyless"]),
      `arn:aws:sts::${TOOLING}:assumed-role/deploy/ci-run`,
    );
  });

  test("--format profile writes a 0600 profile that --profile uses; chaining reaches the workload account", async () => {
    const env = isolatedEnv(join(dir.path, "prof"), {
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
    });
    const r = await keyless(
      assumeArgs("--chain-role-arn", CHAIN, "--format", "profile", "--profile", "cicd"),
      env,
    );
    ok(r);
    assert.match(
      r.stderr,
      /assumed arn:aws:sts::111111111111:assumed-role\/deploy\/ci-run\nkeyless: assumed arn:aws:sts::222222222222:assumed-role\/cicd\/ci-run/,
    );
    assert.equal(statSync(env.AWS_SHARED_CREDENTIALS_FILE!).mode & 0o777, 0o600);
    assert.equal(
      await callerArn(env, ["--profile", "cicd"]),
      `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/ci-run`,
    );
  });

  test("a refused token fails at once, with the emulator's trust policy explained", async () => {
    const r = await keyless([
      "assume",
      "--from-file",
      badTokenFile,
      "--role-arn",
      ROLE,
      "--endpoint-url",
      emulator.endpoint,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /condition StringEquals token\.actions\.githubusercontent\.com:sub: token has "repo:acme\/infra:ref:refs\/heads\/feature", policy wants "repo:acme\/infra:ref:refs\/heads\/main" -> no match/,
    );
    assert.match(
      r.stderr,
      /keyless: STS refused: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\n$/,
    );
    assert.doesNotMatch(r.stderr, /after \d+ attempts/, "AccessDenied is never retried");
  });

  test("keyless explain reads the role's trust policy from the emulator", async () => {
    const allowed = await keyless([
      "explain",
      "--emulator",
      emulator.endpoint,
      "--role-arn",
      ROLE,
      "--token",
      tokenFile,
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /^ALLOW/);
    const denied = await keyless([
      "explain",
      "--emulator",
      emulator.endpoint,
      "--role-arn",
      ROLE,
      "--token",
      badTokenFile,
      "--json",
    ]);
    assert.equal(denied.code, 1);
    assert.equal(JSON.parse(denied.stdout).decision, "deny");
    const missing = await keyless([
      "explain",
      "--emulator",
      emulator.endpoint,
      "--role-arn",
      `arn:aws:iam::${TOOLING}:role/nope`,
      "--token",
      tokenFile,
    ]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^keyless: cannot read arn:aws:iam::111111111111:role\/nope from the emulator at .*NoSuchEntity/,
    );
  });

  test("--allowed-account-id refuses credentials of another account", async () => {
    const r = await keyless(assumeArgs("--allowed-account-id", WORKLOAD));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /account 111111111111, which is not in --allowed-account-id \(222222222222\)/);
  });

  test("secrets appear only where the format's purpose is to print them", async () => {
    const token = readFileSync(tokenFile, "utf8");
    const env = isolatedEnv(join(dir.path, "secrets"), {
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
    });
    const json = await keyless(assumeArgs("--format", "json"), env);
    ok(json);
    const { SecretAccessKey, SessionToken } = JSON.parse(json.stdout).Credentials;
    for (const format of ["env", "dotenv", "json", "credential-process", "profile"]) {
      const r = await keyless(assumeArgs("--format", format, "--profile", "p"), env);
      ok(r);
      assert.ok(
        !r.stderr.includes(token) && !r.stdout.includes(token),
        `${format}: the ID token is never printed`,
      );
      assert.doesNotMatch(r.stderr, /[A-Za-z0-9/+]{40}/, `${format}: no secret on stderr`);
      if (format === "profile") assert.equal(r.stdout, "", "profile: nothing on stdout");
    }
    const refused = await keyless(
      ["assume", "--from-file", badTokenFile, "--role-arn", ROLE, "--endpoint-url", emulator.endpoint],
      env,
    );
    assert.ok(
      !refused.stderr.includes(readFileSync(badTokenFile, "utf8")),
      "a refusal explains the claims, not the token",
    );
    assert.ok(SecretAccessKey.length === 40 && SessionToken.length > 100);
  });

  test("exec: a long-running boto3 client never sees expired credentials across several short sessions", async () => {
    // Sessions last 6 s (emulator test setting); the child runs ~20 s, calling STS every 0.4 s in one
    // process, so botocore must refresh from keyless's endpoint at least three times.
    const script = boto3RefreshProbe(20);
    const r = await keyless(execArgs(["--chain-role-arn", CHAIN], ["python3", "-c", script]), execEnv);
    ok(r);
    const report = refreshReport(r.stdout);
    assert.deepEqual(report.errors, [], "no call failed, in particular no ExpiredToken");
    assert.ok(report.keys >= 3, `credentials were renewed under the child (${report.keys} sets seen)`);
    assert.equal(report.arn, `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/run-42`);
  });

  test("exec: the AWS CLI in a shell loop across expiries; the child's exit status passes through", async () => {
    const loop = `for i in 1 2 3 4 5 6 7; do aws sts get-caller-identity --query Arn --output text || exit 90; sleep 1.5; done; exit 7`;
    const r = await keyless(execArgs(["--quiet"], ["sh", "-c", loop]), execEnv);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 7);
    assert.equal(r.stderr, "");
  });

  test("exec: static AWS credentials and profiles are removed from the child's environment", async () => {
    const env = {
      ...execEnv,
      AWS_ACCESS_KEY_ID: "AKIASTATICSTATIC1234",
      AWS_SECRET_ACCESS_KEY: "x",
      AWS_PROFILE: "other",
    };
    const show =
      'echo "${AWS_ACCESS_KEY_ID:-unset} ${AWS_PROFILE:-unset} ${AWS_CONTAINER_CREDENTIALS_FULL_URI%%/credentials*}"';
    const r = await keyless(execArgs(["--quiet"], ["sh", "-c", show]), env);
    ok(r);
    assert.match(r.stdout.trim(), /^unset unset http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("exec: a missing command is one line and exit 127", async () => {
    const r = await keyless(execArgs(["--quiet"], ["no-such-command-keyless"]), execEnv);
    assert.equal(r.code, 127);
    assert.equal(r.stderr, "keyless: cannot run no-such-command-keyless: command not found\n");
  });
});
