import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { boto3RefreshProbe, DEPLOY_CHAIN, refreshReport, seedGithubDeployChain } from "../support/aws.js";
import { runCommand } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator } from "../support/emulator.js";
import { REPO_ROOT, runActionStep, type StepResult } from "../support/github-runner.js";
import { seedApplyRunOverHttp } from "../support/serve.js";
import { type IssuerWithEmulator, startIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

/**
 * The GitHub Action (action.yml → dist/bundle/action.js) under a simulated runner (support/github-runner.ts):
 * the job's token comes from `keyless serve` in the github profile through ACTIONS_ID_TOKEN_REQUEST_URL /
 * _TOKEN, as GitHub serves it; the emulator fetches the issuer's keys for GitHub's real host through
 * --issuer-alias and ends every session after a few seconds (its test setting); the following steps read
 * GITHUB_ENV and GITHUB_OUTPUT as the runner hands them on, and run the AWS CLI and boto3.
 */
const { workload: WORKLOAD, host: HOST, roleArn: ROLE, chainRoleArn: CHAIN } = DEPLOY_CHAIN;
/** The emulator's test setting: every session ends after this many seconds. */
const SESSION_SECONDS = 10;

describe("the GitHub Action under a simulated runner", () => {
  const dir = tempDir("keyless-action-");
  let stack: IssuerWithEmulator;
  let emulator: RunningEmulator;
  let mainRun: { run: { id: string }; requestUrl: string; requestToken: string };
  let featureRun: { requestUrl: string; requestToken: string };
  let steps = 0;
  /** Credential servers started by the refreshing mode, stopped in `after` if a test failed before its post step. */
  const servers: number[] = [];

  /** The job's environment for a run: GitHub's token request variables, the emulator as STS. */
  const jobEnv = (run: { requestUrl: string; requestToken: string }, extra: NodeJS.ProcessEnv = {}) =>
    isolatedEnv(join(dir.path, `job-${++steps}`), {
      ACTIONS_ID_TOKEN_REQUEST_URL: run.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: run.requestToken,
      GITHUB_RUN_ID: "4242",
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
      NODE_EXTRA_CA_CERTS: stack.tls.caFile,
      ...extra,
    });
  const step = (
    inputs: Record<string, string>,
    env: NodeJS.ProcessEnv,
    post?: Record<string, string>,
    actionDir?: string,
  ) =>
    runActionStep(join(dir.path, `step-${++steps}`), inputs, env, {
      ...(post ? { post } : {}),
      ...(actionDir ? { actionDir } : {}),
    });
  /** A following step: the job's environment plus what the action put in GITHUB_ENV. */
  const nextStep = (base: NodeJS.ProcessEnv, action: StepResult, command: string[]) =>
    runCommand(command[0]!, command.slice(1), { env: { ...base, ...action.env } });
  const ok = <R extends { code: number | null; stdout: string; stderr: string }>(r: R): R => {
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    stack = await startIssuerWithEmulator(dir.path, {
      aliases: [HOST],
      emulatorArgs: ["--test-max-session-seconds", String(SESSION_SECONDS)],
    });
    emulator = stack.emulator;
    await seedGithubDeployChain({
      endpoint: emulator.endpoint,
      dir: dir.path,
      sub: "repo:acme/infra:ref:refs/heads/main",
    });
    const seeded = await seedApplyRunOverHttp(stack.serveUrl, stack.adminKey, {
      ca: stack.tls.ca,
      organization: { name: "acme", profile: "github", allowedAudiences: ["sts.amazonaws.com"] },
      environment: "main",
      deployer: "octocat",
      attributes: { ref: "refs/heads/main" },
    });
    mainRun = seeded;
    featureRun = await seeded.startRun({ ref: "refs/heads/feature" });
  });
  after(async () => {
    for (const pid of servers)
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
    await stack?.stop();
    dir.cleanup();
  });

  test("credentials exported to GITHUB_ENV and masked, outputs set, chained hops in one step, a summary", async () => {
    const base = jobEnv(mainRun);
    const r = ok(
      await step(
        {
          "role-to-assume": ROLE,
          "aws-region": "eu-west-1",
          "chain-role-arns": CHAIN,
          "output-credentials": "true",
          "mask-aws-account-id": "true",
        },
        base,
      ),
    );
    const { env, outputs } = r;
    assert.match(env.AWS_ACCESS_KEY_ID ?? "", /^ASIA/);
    assert.equal(env.AWS_REGION, "eu-west-1");
    assert.equal(env.AWS_DEFAULT_REGION, "eu-west-1");
    for (const secret of [env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN, WORKLOAD])
      assert.ok(r.masks.includes(secret!), `masked: ${secret?.slice(0, 8)}…`);
    // Every mask is announced before any other line could show the value.
    const firstOther = r.stdout.split("\n").findIndex((l) => l !== "" && !l.startsWith("::add-mask::"));
    const lastMask = r.stdout.split("\n").findLastIndex((l) => l.startsWith("::add-mask::"));
    assert.ok(lastMask < firstOther, r.stdout);
    assert.equal(outputs["aws-account-id"], WORKLOAD);
    assert.equal(
      outputs["authenticated-arn"],
      `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/${mainRun.run.id}`,
    );
    assert.equal(outputs["aws-access-key-id"], env.AWS_ACCESS_KEY_ID);
    assert.equal(outputs["aws-secret-access-key"], env.AWS_SECRET_ACCESS_KEY);
    assert.equal(outputs["aws-session-token"], env.AWS_SESSION_TOKEN);
    assert.match(outputs["aws-expiration"] ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(r.summary.includes(`assumed-role/deploy/${mainRun.run.id}`), r.summary);
    assert.match(
      r.summary,
      /arn:aws:sts::\*\*\*:assumed-role\/cicd\//,
      "the account is masked in the summary",
    );
    const logged =
      r.stdout
        .split("\n")
        .filter((l) => !l.startsWith("::add-mask::"))
        .join("\n") + r.stderr;
    for (const secret of [env.AWS_ACCESS_KEY_ID!, env.AWS_SECRET_ACCESS_KEY!, env.AWS_SESSION_TOKEN!])
      assert.ok(!logged.includes(secret), "no credential in the log but in its mask announcement");
    assert.ok(!r.stdout.includes(`:${WORKLOAD}:`), "with mask-aws-account-id the log shows no account id");
    assert.equal(r.state.isPost, "true");

    const who = ok(
      await nextStep(base, r, ["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]),
    );
    assert.equal(who.stdout.trim(), `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/${mainRun.run.id}`);

    // The post step has no credential server to stop here: it says nothing and succeeds.
    const post = ok(await step({ "role-to-assume": ROLE, "aws-region": "eu-west-1" }, base, r.state));
    assert.equal(post.stdout, "");

    // configure-aws-credentials' role-chaining: a later step assumes a role with the credentials an
    // earlier step left in the environment (the tooling role's, into the workload role).
    const tooling = ok(await step({ "role-to-assume": ROLE, "aws-region": "eu-west-1" }, base));
    const chained = ok(
      await step(
        {
          "role-to-assume": CHAIN,
          "aws-region": "eu-west-1",
          "role-chaining": "true",
          "role-session-name": "chained",
        },
        { ...base, ...tooling.env },
      ),
    );
    assert.equal(chained.outputs["authenticated-arn"], `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/chained`);
    assert.notEqual(chained.env.AWS_ACCESS_KEY_ID, tooling.env.AWS_ACCESS_KEY_ID);
  });

  test("a refusal fails the step (exit 1) and is explained in the log and the step summary", async () => {
    // Run from a copy holding only action.yml and the bundle, as a release tag ships it: no
    // node_modules, no package.json; the STS client and the analyst that explains come from the bundle.
    // `npm run coverage` builds with KEYLESS_BUNDLE=none, where action.js only imports tsc's output
    // (scripts/bundle.mjs): that build has no self-contained bundle to copy, so the step runs in place.
    const bundle = join(REPO_ROOT, "dist", "bundle", "action.js");
    const selfContained = !readFileSync(bundle, "utf8").startsWith('import "../src/');
    const release = selfContained ? join(dir.path, "release") : REPO_ROOT;
    if (selfContained) {
      mkdirSync(join(release, "dist", "bundle"), { recursive: true });
      copyFileSync(join(REPO_ROOT, "action.yml"), join(release, "action.yml"));
      copyFileSync(bundle, join(release, "dist", "bundle", "action.js"));
    }
    const r = await step(
      { "role-to-assume": ROLE, "aws-region": "us-east-1" },
      jobEnv(featureRun),
      undefined,
      release,
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^::error::keyless: STS refused: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity$/m,
    );
    const why = new RegExp(
      `condition StringEquals ${HOST.replace(/\./g, "\\.")}:sub: token has "repo:acme/infra:ref:refs/heads/feature", policy wants "repo:acme/infra:ref:refs/heads/main" -> no match`,
    );
    assert.match(r.stdout, why, "explained in the job log");
    assert.match(r.summary, /refused/);
    assert.match(r.summary, why, "explained in the step summary");
    assert.deepEqual(r.env, {}, "no credentials exported");
    assert.equal(r.outputs["aws-access-key-id"], undefined);
  });

  test("bad inputs: exit 2 with one ::error:: line naming the input", async () => {
    const env = jobEnv(mainRun);
    const cases: [Record<string, string>, RegExp][] = [
      [
        { "role-to-assume": "deploy", "aws-region": "us-east-1" },
        /input role-to-assume: "deploy" is not a role ARN/,
      ],
      [
        { "role-to-assume": ROLE, "aws-region": "us-east-1", "role-duration-seconds": "60" },
        /role-duration-seconds: 60/,
      ],
      [
        { "role-to-assume": ROLE, "aws-region": "us-east-1", "output-credentials": "yes" },
        /output-credentials: "yes" is not a boolean/,
      ],
      [
        {
          "role-to-assume": ROLE,
          "aws-region": "us-east-1",
          "refresh-credentials": "true",
          "role-chaining": "true",
        },
        /exclude each other/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const r = await step(inputs, env);
      assert.equal(r.code, 2, `${JSON.stringify(inputs)}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^::error::keyless: .*${message.source}`, "m"));
      assert.deepEqual(r.env, {});
    }
  });

  test("refresh-credentials: a detached endpoint serves fresh credentials across several sessions; the post step stops it", async () => {
    const base = jobEnv(mainRun);
    const r = ok(
      await step(
        {
          "role-to-assume": ROLE,
          "aws-region": "us-east-1",
          "chain-role-arns": CHAIN,
          "refresh-credentials": "true",
        },
        base,
      ),
    );
    assert.match(r.env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? "", /^http:\/\/127\.0\.0\.1:\d+\/credentials\//);
    assert.ok(
      r.masks.includes(r.env.AWS_CONTAINER_AUTHORIZATION_TOKEN!),
      "the endpoint's bearer token is masked",
    );
    assert.equal(r.env.AWS_ACCESS_KEY_ID, undefined, "no static keys exported");
    const pid = Number(r.state.credentialServerPid);
    assert.ok(pid > 0, JSON.stringify(r.state));
    servers.push(pid);
    // The step has exited (runActionStep waited for it); the credential server lives on.
    assert.doesNotThrow(() => process.kill(pid, 0));

    // A following step: one boto3 client for ~25 s, sessions of 10 s: at least three sets of credentials.
    const script = boto3RefreshProbe(25);
    const py = ok(await nextStep(base, r, ["python3", "-c", script]));
    const report = refreshReport(py.stdout);
    assert.deepEqual(report.errors, [], "no call failed, in particular no ExpiredToken");
    assert.ok(report.keys >= 3, `credentials renewed across sessions (${report.keys} sets seen)`);
    assert.equal(report.arn, `arn:aws:sts::${WORKLOAD}:assumed-role/cicd/${mainRun.run.id}`);
    // And the AWS CLI, another process, reads the same endpoint.
    const cli = ok(
      await nextStep(base, r, ["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]),
    );
    assert.equal(cli.stdout.trim(), report.arn);

    const post = ok(await step({ "role-to-assume": ROLE, "aws-region": "us-east-1" }, base, r.state));
    assert.match(post.stdout, new RegExp(`stopped the credential server \\(pid ${pid}\\)`));
    assert.match(
      post.stdout,
      new RegExp(`credentials for arn:aws:sts::${WORKLOAD}:assumed-role/cicd/${mainRun.run.id} valid until`),
    );
    // SIGTERM closes the endpoint; the process is gone once the kernel has reaped it (bounded poll).
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((wait) => setTimeout(wait, 100));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, "the credential server ended");
  });
});
