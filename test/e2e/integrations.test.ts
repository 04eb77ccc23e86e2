import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { providerKey, seedWebIdentityRole } from "../support/aws.js";
import { KEYLESS_BIN, type RunResult, runCommand, runKeyless } from "../support/cli.js";
import { isolatedEnv } from "../support/emulator.js";
import type { Json } from "../support/issuer.js";
import { freePort } from "../support/ports.js";
import { type IssuerWithEmulator, startIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

/**
 * The recipes of docs/integrations/ (issue 12, item 2), run as written: each test plays the CI
 * controller's part (cron, systemd, Jenkins) with the very files and commands the recipe shows, against
 * `keyless serve` and the AWS emulator, and ends in `aws sts get-caller-identity` under the role the run
 * may assume. Only what names the installation is replaced: the server's URL, /usr/local/bin, /etc.
 */
const REPO = dirname(dirname(KEYLESS_BIN));
const RECIPES = join(REPO, "docs", "integrations");
const ACCOUNT = "111111111111";
const EXAMPLE_SERVER = "https://keyless.example.com";

describe("docs/integrations recipes, played as the controller runs them", () => {
  const dir = tempDir();
  let stack: IssuerWithEmulator;
  let bin: string;
  let runnerKey: string;
  let jobEnv: (home: string, extra?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  const admin = (args: string[]) =>
    runKeyless(args, {
      env: {
        PATH: process.env.PATH,
        HOME: dir.path,
        KEYLESS_SERVER: stack.serveUrl,
        KEYLESS_API_KEY: stack.adminKey,
        NODE_EXTRA_CA_CERTS: stack.tls.caFile,
      },
    });
  const ok = (r: RunResult, what: string) => {
    assert.equal(r.code, 0, `${what}: ${r.stdout}\n${r.stderr}`);
    return r;
  };
  /** The runs of acme/infra with `status`, newest first, as the admin API lists them. */
  const runs = async (status: string): Promise<Json[]> =>
    JSON.parse(
      ok(await admin(["run", "list", "--org", "acme", "--status", status, "--json"]), "run list").stdout,
    );
  /** The server's URL where a recipe names the example one. */
  const installed = (text: string) =>
    text.replaceAll(EXAMPLE_SERVER, stack.serveUrl).replaceAll("/usr/local/bin/", `${bin}/`);

  before(async () => {
    stack = await startIssuerWithEmulator(dir.path);
    // What an operator installs: the keyless CLI and the recipe's wrapper on PATH.
    bin = join(dir.path, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "keyless"), `#!/bin/sh\nexec "${process.execPath}" "${KEYLESS_BIN}" "$@"\n`);
    chmodSync(join(bin, "keyless"), 0o755);
    copyFileSync(join(RECIPES, "cron-systemd", "keyless-job"), join(bin, "keyless-job"));
    chmodSync(join(bin, "keyless-job"), 0o755);
    // The keyless side, with the admin commands.
    for (const args of [
      ["org", "create", "acme"],
      ["project", "create", "infra", "--org", "acme"],
      ["env", "create", "prod", "--org", "acme", "--project", "infra"],
    ]) {
      ok(await admin(args), args.join(" "));
    }
    runnerKey = ok(
      await admin([
        "api-key",
        "create",
        "controller",
        "--org",
        "acme",
        "--scope",
        "runner",
        "--project",
        "infra",
      ]),
      "api-key create",
    ).stdout.trim();
    // The AWS side: a role per phase, trusting only acme/infra/prod runs of that phase.
    const key = providerKey(stack.serveUrl);
    for (const [i, phase] of ["plan", "apply"].entries()) {
      await seedWebIdentityRole({
        endpoint: stack.emulator.endpoint,
        dir: dir.path,
        account: ACCOUNT,
        providerUrl: stack.serveUrl,
        createProvider: i === 0,
        roleName: `infra-prod-${phase}`,
        condition: {
          StringEquals: {
            [`${key}:aud`]: "sts.amazonaws.com",
            [`${key}:sub`]: `org:acme:project:infra:env:prod:phase:${phase}`,
          },
        },
      });
    }
    // The machine the controller runs on: AWS pointed at the emulator, the server's CA trusted.
    jobEnv = (home, extra = {}) =>
      isolatedEnv(home, {
        PATH: `${bin}:${process.env.PATH}`,
        NODE_EXTRA_CA_CERTS: stack.tls.caFile,
        AWS_ENDPOINT_URL_STS: stack.emulator.endpoint,
        AWS_REGION: "us-east-1",
        USER: "ops",
        ...extra,
      });
  });
  after(async () => {
    await stack?.stop();
    dir.cleanup();
  });

  test("cron: the crontab line, with the key `keyless login` saved", async () => {
    const home = join(dir.path, "cron");
    const env = jobEnv(home);
    ok(
      await runCommand(join(bin, "keyless"), ["login", "--server", stack.serveUrl, "--with-token"], {
        env,
        input: runnerKey,
      }),
      "keyless login",
    );
    const line = readFileSync(join(RECIPES, "cron-systemd", "crontab"), "utf8")
      .split("\n")
      .find((l) => l.trim() && !l.startsWith("#"))!;
    const command = installed(line.trim().split(/\s+/).slice(5).join(" "));
    const r = await runCommand("sh", ["-c", command], { env });
    ok(r, command);
    assert.match(r.stdout, /"Arn": "arn:aws:sts::111111111111:assumed-role\/infra-prod-plan\//);
    const [run] = await runs("succeeded");
    assert.equal(run.phase, "plan");
    assert.equal(run.attributes.trigger, "schedule");
    assert.match(run.deployer, /^ops@/);

    // A failing job fails the run and keeps its exit status.
    const failing = command.replace(/-- .*$/, "-- sh -c 'exit 7'");
    const f = await runCommand("sh", ["-c", failing], { env });
    assert.equal(f.code, 7, f.stderr);
    assert.equal((await runs("failed")).length, 1);
  });

  test("systemd: the service's EnvironmentFile, LoadCredential and ExecStart", async () => {
    const unit = readFileSync(join(RECIPES, "cron-systemd", "keyless-plan.service"), "utf8");
    const directive = (name: string) => {
      const m = new RegExp(`^${name}=(.*)$`, "m").exec(unit);
      assert.ok(m, `${name}= in the unit`);
      return m[1]!;
    };
    // systemd's part: the environment file, the credential directory, the working directory.
    const envFile = readFileSync(join(RECIPES, "cron-systemd", "keyless-plan.env"), "utf8");
    assert.equal(directive("EnvironmentFile"), "/etc/keyless/keyless-plan.env");
    const vars = Object.fromEntries(
      installed(envFile)
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const [credential] = directive("LoadCredential").split(":");
    const credentials = join(dir.path, "systemd", "credentials");
    mkdirSync(credentials, { recursive: true, mode: 0o700 });
    writeFileSync(join(credentials, credential!), runnerKey, { mode: 0o400 });
    const work = join(dir.path, "systemd", "work");
    mkdirSync(work, { recursive: true });
    const before = (await runs("succeeded")).length;
    const r = await runCommand("sh", ["-c", installed(directive("ExecStart"))], {
      env: jobEnv(join(dir.path, "systemd"), { ...vars, CREDENTIALS_DIRECTORY: credentials }),
      cwd: work,
    });
    ok(r, "ExecStart");
    assert.match(r.stdout, /"Arn": "arn:aws:sts::111111111111:assumed-role\/infra-prod-plan\//);
    assert.equal((await runs("succeeded")).length, before + 1);
    assert.equal((await runs("running")).length, 0, "every run the recipes started is finished");
  });

  test("Jenkins: the Jenkinsfile's steps, with withEnv and withCredentials as Jenkins runs them", async () => {
    const jenkinsfile = readFileSync(join(RECIPES, "jenkins", "Jenkinsfile"), "utf8");
    // The pipeline's environment block.
    const pipelineEnv = Object.fromEntries(
      [...jenkinsfile.matchAll(/^\s+(KEYLESS_\w+) = '([^']*)'$/gm)].map((m) => [m[1]!, installed(m[2]!)]),
    );
    assert.deepEqual(Object.keys(pipelineEnv).sort(), ["KEYLESS_ORG", "KEYLESS_PROJECT", "KEYLESS_SERVER"]);
    // What Jenkins sets for every build of a Git job.
    const build = {
      ...pipelineEnv,
      GIT_BRANCH: "origin/main",
      GIT_COMMIT: "0123456789abcdef0123456789abcdef01234567",
      BUILD_TAG: "jenkins-infra-42",
    };
    const home = join(dir.path, "jenkins");
    const credentials = { KEYLESS_API_KEY: runnerKey }; // withCredentials([string(… variable: 'KEYLESS_API_KEY')])
    const sh = (script: string, extra: NodeJS.ProcessEnv) =>
      runCommand("sh", ["-xec", script], { env: jobEnv(home, { ...build, ...extra }) });

    // 1. sh(returnStdout: true, script: '…run start…').trim().tokenize('\n')
    const start = /sh\(returnStdout: true, script: '([^']*)'\)\.trim\(\)\.tokenize\('\\n'\)/.exec(
      jenkinsfile,
    );
    assert.ok(start, "the run start step");
    const out = ok(await sh(start[1]!, credentials), "run start");
    const job = out.stdout.trim().split("\n");
    const runId = job.find((l) => l.startsWith("KEYLESS_RUN_ID="))!.slice("KEYLESS_RUN_ID=".length);
    // 2. withEnv(job) { sh '…' }: the job's step, without the API key.
    const step = /withEnv\(job\) \{\s+sh '([^']*)'/.exec(jenkinsfile);
    assert.ok(step, "the deploy step");
    const withEnv = Object.fromEntries(
      job.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const deploy = ok(await sh(step[1]!, withEnv), "deploy step");
    assert.match(deploy.stdout, /"Arn": "arn:aws:sts::111111111111:assumed-role\/infra-prod-apply\//);
    // 3. finally: sh "…run finish ${runId} … ${result}" (Groovy interpolation, then the shell's).
    const finish = /sh "((?:[^"\\]|\\.)*)"/.exec(jenkinsfile);
    assert.ok(finish, "the run finish step");
    const groovy = finish[1]!
      .replaceAll("${runId}", runId)
      .replaceAll("${result}", "SUCCESS")
      .replace(/\\(["$])/g, "$1");
    ok(await sh(groovy, credentials), "run finish");
    const shown = JSON.parse(
      ok(await admin(["run", "show", runId, "--org", "acme", "--json"]), "run show").stdout,
    );
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.phase, "apply");
    assert.equal(shown.deployer, "jenkins-infra-42");
    assert.deepEqual(shown.attributes, { ref: "origin/main", commit: build.GIT_COMMIT });
    assert.equal(shown.tokens.length, 1, "one token, minted by keyless exec");
  });

  test("self-managed GitLab: the job's before_script, script and after_script, as a GitLab runner runs them", async () => {
    const pipeline = parse(readFileSync(join(RECIPES, "gitlab", ".gitlab-ci.yml"), "utf8")) as Json;
    const job = pipeline.deploy;
    const projectDir = join(dir.path, "gitlab", "builds", "acme", "infra");
    mkdirSync(projectDir, { recursive: true });
    // What GitLab sets (predefined variables), the file's variables, and the project's CI/CD variables.
    const variables = {
      ...pipeline.variables,
      CI_ENVIRONMENT_NAME: job.environment,
      CI_COMMIT_REF_NAME: "main",
      CI_COMMIT_SHA: "89abcdef0123456789abcdef0123456789abcdef",
      GITLAB_USER_LOGIN: "alice",
      CI_PIPELINE_ID: "4711",
      CI_PROJECT_DIR: projectDir,
      KEYLESS_SERVER: stack.serveUrl,
      KEYLESS_API_KEY: runnerKey,
    };
    const env = jobEnv(join(dir.path, "gitlab"), variables);
    // before_script and script run in one shell that stops at the first failing line.
    const main = await runCommand("bash", ["-ec", [...job.before_script, ...job.script].join("\n")], {
      env,
      cwd: projectDir,
    });
    ok(main, "before_script + script");
    assert.match(main.stdout, /"Arn": "arn:aws:sts::111111111111:assumed-role\/infra-prod-apply\//);
    // after_script: a new shell, with the job's outcome in CI_JOB_STATUS.
    const post = await runCommand("bash", ["-ec", job.after_script.join("\n")], {
      env: { ...env, CI_JOB_STATUS: "success" },
      cwd: projectDir,
    });
    ok(post, "after_script");
    const [run] = await runs("succeeded");
    assert.equal(run.phase, "apply");
    assert.deepEqual(run.attributes, { pipeline: "4711", ref: "main", commit: variables.CI_COMMIT_SHA });
    assert.equal(run.deployer, "alice");
  });

  test("Buildkite: the agent's environment and pre-exit hooks around the pipeline's step", async () => {
    const hooks = join(RECIPES, "buildkite", "hooks");
    const keyFile = join(dir.path, "buildkite", "keyless-runner.key");
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, `${runnerKey}\n`, { mode: 0o600 });
    const hook = (name: string) =>
      readFileSync(join(hooks, name), "utf8").replaceAll("/etc/buildkite-agent/keyless-runner.key", keyFile);
    const step = (parse(readFileSync(join(RECIPES, "buildkite", "pipeline.yml"), "utf8")) as Json).steps[0];
    // The agent's environment (KEYLESS_SERVER and KEYLESS_ORG from its configuration), the job's
    // BUILDKITE_* variables and the step's env.
    const env = jobEnv(join(dir.path, "buildkite"), {
      KEYLESS_SERVER: stack.serveUrl,
      KEYLESS_ORG: "acme",
      BUILDKITE: "true",
      BUILDKITE_PIPELINE_SLUG: "infra",
      BUILDKITE_BRANCH: "main",
      BUILDKITE_COMMIT: "fedcba9876543210fedcba9876543210fedcba98",
      BUILDKITE_BUILD_NUMBER: "12",
      BUILDKITE_BUILD_CREATOR_EMAIL: "bob@example.com",
      ...step.env,
    });
    // The agent sources the hook and carries the variables it exported into the job.
    const exported = ok(
      await runCommand("bash", ["-c", `${hook("environment")}\nenv -0`], { env }),
      "environment hook",
    ).stdout;
    const jobEnvironment = Object.fromEntries(
      exported
        .split("\0")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    assert.equal(jobEnvironment.KEYLESS_API_KEY, undefined, "the runner key never reaches the job");
    const command = await runCommand("bash", ["-c", step.command], { env: jobEnvironment });
    ok(command, "the step's command");
    assert.match(command.stdout, /"Arn": "arn:aws:sts::111111111111:assumed-role\/infra-prod-apply\//);
    const exit = await runCommand("bash", ["-c", hook("pre-exit")], {
      env: { ...jobEnvironment, BUILDKITE_COMMAND_EXIT_STATUS: String(command.code) },
    });
    ok(exit, "pre-exit hook");
    const shown = JSON.parse(
      ok(await admin(["run", "show", jobEnvironment.KEYLESS_RUN_ID!, "--org", "acme", "--json"]), "run show")
        .stdout,
    );
    assert.equal(shown.status, "succeeded");
    assert.equal(shown.deployer, "bob@example.com");
    assert.equal(shown.attributes.build, "12");
  });

  test("Atlantis: the server-side workflow's plan and apply steps, ending in terraform with its S3 state", async (t) => {
    // Terraform's S3 backend keeps the state in moto_server's S3; its credentials come from keyless exec.
    const motoPort = await freePort();
    const motoUrl = `http://127.0.0.1:${motoPort}`;
    const moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(motoPort)], { stdio: "ignore" });
    t.after(() => {
      moto.kill("SIGTERM");
    });
    const s3 = isolatedEnv(join(dir.path, "s3"), {
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_DEFAULT_REGION: "us-east-1",
    });
    let bucket: RunResult | undefined;
    for (let i = 0; i < 100 && bucket?.code !== 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      bucket = await runCommand(
        "aws",
        ["--endpoint-url", motoUrl, "s3api", "create-bucket", "--bucket", "tfstate"],
        {
          env: s3,
        },
      );
    }
    ok(bucket!, "moto's bucket");
    // The repository Atlantis checked out: a configuration with an S3 backend.
    const repo = join(dir.path, "atlantis", "repos", "acme", "infra", "7", "prod");
    mkdirSync(repo, { recursive: true });
    writeFileSync(
      join(repo, "main.tf"),
      `terraform {
  backend "s3" {
    bucket         = "tfstate"
    key            = "infra/prod.tfstate"
    region         = "us-east-1"
    use_path_style = true
    endpoints = {
      s3  = "${motoUrl}"
      sts = "${stack.emulator.endpoint}"
    }
  }
}
resource "terraform_data" "deployed" { input = "by keyless" }
output "deployed" { value = terraform_data.deployed.output }
`,
    );
    writeFileSync(join(repo, "terraformrc"), "");
    const config = parse(readFileSync(join(RECIPES, "atlantis", "repos.yaml"), "utf8")) as Json;
    const workflow = config.workflows[config.repos[0].workflow];
    // The Atlantis server's environment, and what Atlantis sets for custom run steps.
    const env = jobEnv(join(dir.path, "atlantis"), {
      KEYLESS_SERVER: stack.serveUrl,
      KEYLESS_ORG: "acme",
      KEYLESS_PROJECT: "infra",
      KEYLESS_API_KEY: runnerKey,
      WORKSPACE: "prod",
      PLANFILE: join(repo, "prod.tfplan"),
      DIR: repo,
      HEAD_BRANCH_NAME: "feature/bucket",
      HEAD_COMMIT: "00112233445566778899aabbccddeeff00112233",
      USER_NAME: "carol",
      PULL_NUM: "7",
      TF_CLI_CONFIG_FILE: join(repo, "terraformrc"),
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
    });
    for (const stage of ["plan", "apply"]) {
      for (const step of workflow[stage].steps) {
        const r = await runCommand("sh", ["-c", step.run], { env, cwd: repo, timeoutMs: 240_000 });
        ok(r, `${stage}: ${step.run}`);
      }
    }
    const state = await runCommand(
      "aws",
      ["--endpoint-url", motoUrl, "s3", "cp", "s3://tfstate/infra/prod.tfstate", "-"],
      {
        env: s3,
      },
    );
    ok(state, "the state in S3");
    assert.equal(JSON.parse(state.stdout).outputs.deployed.value, "by keyless");
    const [apply, plan] = await runs("succeeded");
    assert.deepEqual([plan.phase, apply.phase], ["plan", "apply"]);
    for (const run of [plan, apply]) {
      assert.deepEqual(run.attributes, {
        trigger: "atlantis",
        ref: "feature/bucket",
        commit: "00112233445566778899aabbccddeeff00112233",
      });
      assert.equal(run.deployer, "carol");
    }
  });
});
