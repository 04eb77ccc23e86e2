import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { INIT_PLATFORMS, type InitPlatform } from "../../src/analysis/init/index.js";
import { runCommand, runKeyless } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator, startEmulator } from "../support/emulator.js";
import { startTestIssuer, type TestIssuer } from "../support/oidc-issuer.js";
import { tempDir } from "../support/tmp.js";
import { FULL, TOOLING } from "../unit/analysis/init/helpers.js";

/**
 * `keyless init aws --format cli` run for real: the script, unmodified, drives the AWS CLI v1 against a
 * `keyless emulator`; then the AWS CLI assumes the role it made with a token of the platform's shape,
 * signed by a local issuer standing in for the platform's host (--issuer-alias). A token that differs
 * in one scoped field (another branch, the other phase, another organization id) is refused.
 */
const WORKLOAD = "444455556666";
/**
 * The generated scripts run a dozen AWS CLI v1 commands; each costs seconds of Python start-up on a loaded
 * machine (8 s per `aws --version` was seen at load 26 on 2 cores), so the kill guard is generous. It only
 * stops a hung script: nothing here asserts on time.
 */
const SCRIPT_KILL_MS = 300_000;
const ISSUER_OF: Record<InitPlatform, string> = {
  keyless: "https://id.example.com",
  env0: "https://login.app.env0.com/",
  spacelift: "https://acme.app.spacelift.io",
  tfc: "https://app.terraform.io",
  github: "https://token.actions.githubusercontent.com",
  gitlab: "https://gitlab.com",
  buildkite: "https://agent.buildkite.com",
  circleci: `https://oidc.circleci.com/org/${FULL.circleci["organization-id"]}`,
};

const TAGS = "https://aws.amazon.com/tags";
/** A token of the platform's shape for the role written with FULL scope, and one that must be refused. */
function tokens(platform: InitPlatform): { good: Record<string, unknown>; bad: Record<string, unknown> } {
  const s = FULL[platform];
  switch (platform) {
    case "keyless": {
      const sub = (phase: string) => `org:acme:project:core:env:prod:phase:${phase}`;
      return {
        good: { sub: sub("apply"), aud: "sts.amazonaws.com", phase: "apply" },
        bad: { sub: sub("plan"), aud: "sts.amazonaws.com", phase: "plan" },
      };
    }
    case "env0": {
      const tags = (organizationId: string) => ({
        principal_tags: {
          organizationId: [organizationId],
          projectId: [s["project-id"]!],
          environmentId: [s["environment-id"]!],
          deploymentType: ["deploy"],
          env0Tag: ["anything"],
        },
      });
      const base = {
        sub: s["organization-subject"],
        aud: "https://prod.env0.com",
        azp: "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b",
      };
      return {
        good: { ...base, [TAGS]: tags(s["organization-id"]!) },
        bad: { ...base, [TAGS]: tags("00000000-0000-0000-0000-000000000000") },
      };
    }
    case "spacelift": {
      const sub = (run: string, scope: string) =>
        `space_path:/root/production:stack:core-infra:run_type:${run}:scope:${scope}`;
      return {
        good: { sub: sub("TRACKED", "write"), aud: "acme.app.spacelift.io", runType: "TRACKED" },
        bad: { sub: sub("PROPOSED", "read"), aud: "acme.app.spacelift.io", runType: "PROPOSED" },
      };
    }
    case "tfc": {
      const sub = (phase: string) => `organization:acme:project:core:workspace:prod:run_phase:${phase}`;
      return {
        good: { sub: sub("apply"), aud: "aws.workload.identity", terraform_run_phase: "apply" },
        bad: { sub: sub("plan"), aud: "aws.workload.identity", terraform_run_phase: "plan" },
      };
    }
    case "github": {
      const base = { aud: "sts.amazonaws.com", repository_owner_id: "5550123", repository_id: "9876543" };
      return {
        good: { ...base, sub: "repo:acme/infra:ref:refs/heads/main", ref: "refs/heads/main" },
        bad: { ...base, sub: "repo:acme/infra:pull_request", ref: "refs/pull/7/merge" },
      };
    }
    case "gitlab": {
      const base = { aud: "https://gitlab.com", project_id: "4242", namespace_id: "77" };
      return {
        good: { ...base, sub: "project_path:acme/infra:ref_type:branch:ref:main", ref: "main" },
        bad: { ...base, sub: "project_path:acme/infra:ref_type:branch:ref:feature", ref: "feature" },
      };
    }
    case "buildkite": {
      const sub = (branch: string) =>
        `organization:acme:pipeline:deploy:ref:refs/heads/${branch}:commit:4f2c1a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b:step:apply`;
      const tags = { principal_tags: { organization_id: [s["organization-id"]!] } };
      return {
        good: { sub: sub("main"), aud: "sts.amazonaws.com", organization_slug: "acme", [TAGS]: tags },
        bad: { sub: sub("feature"), aud: "sts.amazonaws.com", organization_slug: "acme", [TAGS]: tags },
      };
    }
    case "circleci": {
      const sub = (ref: string) =>
        `org/${s["organization-id"]}/project/${s["project-id"]}/user/2f1e0d9c-8b7a-6f5e-4d3c-2b1a0f9e8d7c/vcs-origin/github.com/acme/infra/vcs-ref/${ref}`;
      return {
        good: { sub: sub("refs/heads/main"), aud: s["organization-id"] },
        bad: { sub: sub("refs/heads/feature"), aud: s["organization-id"] },
      };
    }
  }
}

const scopeArgs = (platform: InitPlatform) =>
  Object.entries(FULL[platform]).flatMap(([k, v]) => [`--${k}`, v!]);

describe("keyless init aws --format cli, run with the AWS CLI against the emulator", () => {
  const dir = tempDir("keyless-init-e2e-");
  const issuers = new Map<InitPlatform, TestIssuer>();
  let emulator: RunningEmulator;
  const envFor = (name: string, extra: NodeJS.ProcessEnv = {}) => {
    const d = join(dir.path, name);
    mkdirSync(d, { recursive: true });
    return isolatedEnv(d, {
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ENDPOINT_URL: emulator.endpoint,
      ...extra,
    });
  };
  const admin = (name: string) => envFor(name, { AWS_ACCESS_KEY_ID: TOOLING, AWS_SECRET_ACCESS_KEY: "test" });

  before(async () => {
    const aliases: string[] = [];
    for (const platform of INIT_PLATFORMS) {
      const d = join(dir.path, `issuer-${platform}`);
      mkdirSync(d);
      const issuer = await startTestIssuer(d, { issuer: ISSUER_OF[platform] });
      issuers.set(platform, issuer);
      aliases.push(
        "--trust-ca",
        issuer.caFile,
        "--issuer-alias",
        `${new URL(ISSUER_OF[platform]).host}=${issuer.localUrl}`,
      );
    }
    emulator = await startEmulator(join(dir.path, "data"), ["--account", TOOLING, ...aliases]);
  });
  after(async () => {
    await emulator?.stop();
    for (const i of issuers.values()) await i.close();
    dir.cleanup();
  });

  const assume = (env: NodeJS.ProcessEnv, role: string, token: string) =>
    runCommand(
      "aws",
      [
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role,
        "--role-session-name",
        "pipeline",
        "--web-identity-token",
        token,
        "--query",
        "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]",
        "--output",
        "text",
      ],
      { env },
    );

  for (const platform of INIT_PLATFORMS) {
    test(`${platform}: the script creates the provider and role(s); a token of ${platform}'s shape assumes the role, a near miss does not`, async () => {
      const gen = await runKeyless([
        "init",
        "aws",
        "--platform",
        platform,
        "--format",
        "cli",
        "--account",
        TOOLING,
        ...scopeArgs(platform),
      ]);
      assert.equal(gen.code, 0, gen.stderr);
      const script = join(dir.path, `${platform}.sh`);
      writeFileSync(script, gen.stdout, { mode: 0o755 });
      const run = await runCommand("bash", [script], {
        env: admin(`${platform}-admin`),
        timeoutMs: SCRIPT_KILL_MS,
      });
      assert.equal(run.code, 0, run.stderr);
      const phased = platform === "tfc" || platform === "keyless";
      const role = `arn:aws:iam::${TOOLING}:role/keyless-${platform}${phased ? "-apply" : ""}`;
      assert.ok(run.stdout.split("\n").includes(role), run.stdout);
      assert.match(run.stderr, new RegExp(`created role keyless-${platform}`));

      const issuer = issuers.get(platform)!;
      const { good, bad } = tokens(platform);
      const pipeline = envFor(`${platform}-pipeline`);
      const ok = await assume(pipeline, role, await issuer.sign(good));
      assert.equal(ok.code, 0, ok.stderr);
      const [key, secret, session] = ok.stdout.trim().split(/\s+/);
      const who = await runCommand(
        "aws",
        ["sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
        {
          env: envFor(`${platform}-session`, {
            AWS_ACCESS_KEY_ID: key,
            AWS_SECRET_ACCESS_KEY: secret,
            AWS_SESSION_TOKEN: session,
          }),
        },
      );
      assert.equal(who.code, 0, who.stderr);
      assert.equal(who.stdout.trim(), `arn:aws:sts::${TOOLING}:assumed-role/${role.split("/")[1]}/pipeline`);

      const denied = await assume(pipeline, role, await issuer.sign(bad));
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /AccessDenied/);
    });
  }

  test("github: running the script again updates what exists", async () => {
    const gen = await runKeyless([
      "init",
      "aws",
      "--platform",
      "github",
      "--format",
      "cli",
      "--account",
      TOOLING,
      ...scopeArgs("github"),
    ]);
    const run = await runCommand("bash", ["-c", gen.stdout], {
      env: admin("github-again"),
      timeoutMs: SCRIPT_KILL_MS,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /identity provider exists/);
    assert.match(run.stderr, /updated role keyless-github/);
  });

  test("the script refuses credentials of another account", async () => {
    const gen = await runKeyless([
      "init",
      "aws",
      "--platform",
      "tfc",
      "--format",
      "cli",
      "--account",
      "999999999999",
      ...scopeArgs("tfc"),
    ]);
    const run = await runCommand("bash", ["-c", gen.stdout], { env: admin("wrong-account") });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /the credentials for account 999999999999 are for account 111122223333/);
  });

  test("multi-account (seed 003): tooling role by token, then sts:AssumeRole into the workload account of the same phase only", async () => {
    const gen = await runKeyless([
      "init",
      "aws",
      "--platform",
      "tfc",
      "--format",
      "cli",
      "--name",
      "chain",
      "--tooling-account",
      TOOLING,
      "--workload-account",
      WORKLOAD,
      ...scopeArgs("tfc"),
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    const env = envFor("chain-admin");
    writeFileSync(
      env.AWS_SHARED_CREDENTIALS_FILE!,
      `[tooling]\naws_access_key_id = ${TOOLING}\naws_secret_access_key = test\n[workload]\naws_access_key_id = ${WORKLOAD}\naws_secret_access_key = test\n`,
    );
    const run = await runCommand("bash", ["-c", gen.stdout], {
      env: { ...env, [`KEYLESS_PROFILE_${TOOLING}`]: "tooling", [`KEYLESS_PROFILE_${WORKLOAD}`]: "workload" },
      timeoutMs: SCRIPT_KILL_MS,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`created role chain-workload-apply in ${WORKLOAD}`));

    const token = await issuers.get("tfc")!.sign(tokens("tfc").good);
    const ok = await assume(envFor("chain-pipeline"), `arn:aws:iam::${TOOLING}:role/chain-apply`, token);
    assert.equal(ok.code, 0, ok.stderr);
    const [key, secret, session] = ok.stdout.trim().split(/\s+/);
    const asTooling = envFor("chain-session", {
      AWS_ACCESS_KEY_ID: key,
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_SESSION_TOKEN: session,
    });
    const hop = (role: string) =>
      runCommand(
        "aws",
        [
          "sts",
          "assume-role",
          "--role-arn",
          role,
          "--role-session-name",
          "deploy",
          "--query",
          "AssumedRoleUser.Arn",
          "--output",
          "text",
        ],
        { env: asTooling },
      );
    const chained = await hop(`arn:aws:iam::${WORKLOAD}:role/chain-workload-apply`);
    assert.equal(chained.code, 0, chained.stderr);
    assert.equal(chained.stdout.trim(), `arn:aws:sts::${WORKLOAD}:assumed-role/chain-workload-apply/deploy`);
    // The apply session may not take the plan role's path, nor the plan role the apply one.
    const cross = await hop(`arn:aws:iam::${WORKLOAD}:role/chain-workload-plan`);
    assert.notEqual(cross.code, 0);
    assert.match(cross.stderr, /AccessDenied/);
  });
});
