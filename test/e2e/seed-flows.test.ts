import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { KEYLESS_BIN, type RunResult, runCommand } from "../support/cli.js";
import { awsAdmin, isolatedEnv, type RunningEmulator } from "../support/emulator.js";
import { freePort } from "../support/ports.js";
import { curlRunToken } from "../support/serve.js";
import { type IssuerWithEmulator, startIssuerWithEmulator } from "../support/stack.js";
import { seedSeed003Iam } from "../support/terraform.js";
import type { TestTls } from "../support/tls.js";
import { tempDir } from "../support/tmp.js";

/**
 * The four seed flows (env0, Spacelift, GitHub Actions, HCP Terraform), end to end, each with the
 * seed's trust policy and the seed's commands run by bash with the real AWS CLI (and jq, and Terraform), against `keyless serve` issuing
 * tokens in that platform's shape and `keyless emulator` fetching our keys through --issuer-alias for
 * the platform's real host, so the trust policies name login.app.env0.com/, demo.app.spacelift.io,
 * token.actions.githubusercontent.com and app.terraform.io as written.
 *
 * Adapted, and only this: account placeholders and ids become this test's; the seeds' scraped text lost
 * condition-key names and GitHub's `audience=sts.amazonaws.com` query, restored from each platform's
 * documented form; fixed paths (/tmp/web_identity_token_file, /mnt/workspace/spacelift.oidc) live in
 * the test's own directory.
 */
const TOOLING = "111111111111";
const WORKLOAD = "222222222222";
const ENV0_CLIENT = "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b";

describe("the seeds' flows, end to end", () => {
  const dir = tempDir("keyless-seeds-");
  let stack: IssuerWithEmulator;
  let tls: TestTls;
  let emulator: RunningEmulator;
  let moto: ChildProcess;
  let motoUrl: string;

  const ok = (r: RunResult) => {
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return r;
  };
  const api = (method: string, path: string, body?: unknown) => stack.api(method, path, body);
  const iam = (account: string, args: string[]) =>
    awsAdmin(emulator.endpoint, dir.path)(account, ["iam", ...args]);
  const createRole = async (account: string, name: string, policy: unknown) => {
    const file = join(dir.path, `${account}-${name}.json`);
    writeFileSync(file, JSON.stringify(policy, null, 4));
    ok(
      await iam(account, [
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        `file://${file}`,
      ]),
    );
  };
  /** An organization with a profile, one project and environments, and a function to start runs. */
  const organization = async (body: Record<string, unknown>, project: string, environments: string[]) => {
    const org = await api("POST", "/api/v1/organizations", body);
    const p = await api("POST", `/api/v1/organizations/${org.id}/projects`, { name: project });
    const envs: Record<string, string> = {};
    for (const name of environments)
      envs[name] = (
        await api("POST", `/api/v1/organizations/${org.id}/projects/${p.id}/environments`, { name })
      ).id;
    const run = (environment: string, phase: string, attributes: Record<string, string> = {}) =>
      api("POST", `/api/v1/organizations/${org.id}/runs`, {
        environmentId: envs[environment],
        phase,
        deployer: "dev@example.com",
        attributes,
      }) as Promise<{
        requestUrl: string;
        requestToken: string;
      }>;
    return { org, run };
  };
  /** What the platform does before the job starts: fetch the run's token through its request URL. */
  const platformToken = async (run: { requestUrl: string; requestToken: string }, audience?: string) => {
    const r = ok(await curlRunToken(run, tls.caFile, audience));
    return JSON.parse(r.stdout).value as string;
  };
  /** A job's shell: its own HOME, no AWS settings from the developer, the emulator as STS. */
  const job = (name: string, extra: NodeJS.ProcessEnv = {}) => {
    const home = join(dir.path, "jobs", name);
    mkdirSync(home, { recursive: true });
    const env = isolatedEnv(home, {
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ENDPOINT_URL_STS: emulator.endpoint,
      ...extra,
    });
    return {
      home,
      env,
      bash: (script: string, more: NodeJS.ProcessEnv = {}) =>
        runCommand("bash", ["-e", "-c", script], { env: { ...env, ...more }, cwd: home, timeoutMs: 180_000 }),
    };
  };
  const keyless = `${process.execPath} ${KEYLESS_BIN}`;
  /** moto's S3 (the state store; moto checks no credentials). */
  const s3 = (args: string[]) =>
    runCommand("aws", ["--endpoint-url", motoUrl, ...args], {
      env: isolatedEnv(join(dir.path, "moto"), {
        AWS_ACCESS_KEY_ID: "moto",
        AWS_SECRET_ACCESS_KEY: "moto",
        AWS_DEFAULT_REGION: "us-east-1",
      }),
    });

  before(async () => {
    // The issuer's own URL is its issuer URL; the emulator fetches each seed platform's real host from it.
    stack = await startIssuerWithEmulator(dir.path, {
      aliases: [
        "login.app.env0.com",
        "demo.app.spacelift.io",
        "token.actions.githubusercontent.com",
        "app.terraform.io",
      ],
    });
    ({ tls, emulator } = stack);
    const motoPort = await freePort();
    motoUrl = `http://127.0.0.1:${motoPort}`;
    moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(motoPort)], { stdio: "ignore" });
  });
  after(async () => {
    moto?.kill("SIGTERM");
    await stack?.stop();
    dir.cleanup();
  });

  test("seeds 000/001, env0: ENV0_OIDC_TOKEN, the CLI + jq custom flow into $ENV0_ENV, ENV0_AWS_ROLE_ARN, the organizationId tag gate", async () => {
    const env0 = await organization(
      { name: "acme-env0", profile: "env0", profileOptions: { subject: "632b8219674bde0224a96141" } },
      "web",
      ["prod"],
    );
    const other = await organization(
      { name: "other-env0", profile: "env0", profileOptions: { subject: "632b8219674bde0224a96141" } },
      "web",
      ["prod"],
    );
    ok(
      await iam(TOOLING, [
        "create-open-id-connect-provider",
        "--url",
        "https://login.app.env0.com/",
        "--client-id-list",
        ENV0_CLIENT,
      ]),
    );
    // Seed 001's second trust policy, verbatim but for the account and the organization's ids.
    await createRole(TOOLING, "env0-oidc", {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${TOOLING}:oidc-provider/login.app.env0.com/` },
          Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
          Condition: {
            StringEquals: {
              "login.app.env0.com/:aud": ENV0_CLIENT,
              "login.app.env0.com/:sub": "auth0|632b8219674bde0224a96141",
              "aws:RequestTag/organizationId": [env0.org.id],
            },
          },
        },
      ],
    });
    const roleArn = `arn:aws:iam::${TOOLING}:role/env0-oidc`;
    const token = await platformToken(await env0.run("prod", "apply"));
    const j = job("env0", { ENV0_OIDC_TOKEN: token, ENV0_OIDC_ROLE_ARN: roleArn });
    const envFile = join(j.home, "env0.env");
    // The seed's env0.yml steps, as written.
    const seedFlow = `echo $ENV0_OIDC_TOKEN > web-identity-token.txt
aws sts assume-role-with-web-identity --role-arn "\${ENV0_OIDC_ROLE_ARN}" --role-session-name "env0_OIDC_session" --web-identity-token $ENV0_OIDC_TOKEN --duration-seconds 3600 --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output json > aws-sts-get-session-token.json
echo AWS_ACCESS_KEY_ID=$(jq '.[0]' aws-sts-get-session-token.json) >> $ENV0_ENV
echo AWS_SECRET_ACCESS_KEY=$(jq '.[1]' aws-sts-get-session-token.json) >> $ENV0_ENV
echo AWS_SESSION_TOKEN=$(jq '.[2]' aws-sts-get-session-token.json) >> $ENV0_ENV
rm aws-sts-get-session-token.json`;
    ok(await j.bash(seedFlow, { ENV0_ENV: envFile }));
    // env0 loads $ENV0_ENV into the next steps' environment; a shell reading it does the same.
    const next = ok(
      await j.bash(`set -a; . ${envFile}; set +a; aws sts get-caller-identity --query Arn --output text`),
    );
    assert.equal(next.stdout.trim(), `arn:aws:sts::${TOOLING}:assumed-role/env0-oidc/env0_OIDC_session`);

    // keyless's way: ENV0_OIDC_TOKEN detected, ENV0_AWS_ROLE_ARN honoured, dotenv appended to $ENV0_ENV.
    const keylessEnv = join(j.home, "keyless.env");
    const r = ok(
      await j.bash(`${keyless} assume --format dotenv --out "$ENV0_ENV"`, {
        ENV0_ENV: keylessEnv,
        ENV0_AWS_ROLE_ARN: roleArn,
      }),
    );
    assert.match(r.stderr, /token from env0 \(ENV0_OIDC_TOKEN\)/);
    assert.match(r.stderr, /from ENV0_AWS_ROLE_ARN/);
    const again = ok(
      await j.bash(`set -a; . ${keylessEnv}; set +a; aws sts get-caller-identity --query Arn --output text`),
    );
    assert.match(again.stdout, new RegExp(`^arn:aws:sts::${TOOLING}:assumed-role/env0-oidc/`));

    // Same sub, another env0 organization: the organizationId gate refuses, and keyless says why.
    const foreign = await platformToken(await other.run("prod", "apply"));
    const refused = await j.bash(`${keyless} assume --format dotenv --out "$ENV0_ENV"`, {
      ENV0_ENV: keylessEnv,
      ENV0_AWS_ROLE_ARN: roleArn,
      ENV0_OIDC_TOKEN: foreign,
    });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /condition StringEquals aws:RequestTag\/organizationId: token has "[0-9a-f-]+", policy wants "[0-9a-f-]+" -> no match/,
    );
  });

  test("seed 002, Spacelift: the before_init export line with the AWS CLI; StringLike space:production:*", async () => {
    const spacelift = await organization(
      { name: "demo", profile: "spacelift", profileOptions: { account: "demo" } },
      "production",
      ["api"],
    );
    const development = await organization(
      { name: "demo-dev", profile: "spacelift", profileOptions: { account: "demo" } },
      "development",
      ["api"],
    );
    ok(
      await iam(TOOLING, [
        "create-open-id-connect-provider",
        "--url",
        "https://demo.app.spacelift.io",
        "--client-id-list",
        "demo.app.spacelift.io",
      ]),
    );
    await createRole(TOOLING, "spacelift-production", {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${TOOLING}:oidc-provider/demo.app.spacelift.io` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { "demo.app.spacelift.io:aud": "demo.app.spacelift.io" },
            StringLike: { "demo.app.spacelift.io:sub": "space:production:*" },
          },
        },
      ],
    });
    const roleArn = `arn:aws:iam::${TOOLING}:role/spacelift-production`;
    const j = job("spacelift", { TF_VAR_spacelift_run_id: "01HXRUN" });
    const tokenFile = join(j.home, "spacelift.oidc");
    writeFileSync(tokenFile, await platformToken(await spacelift.run("api", "apply")));
    // The seed's before_init hook, verbatim but for the token file's path and the role ARN.
    const hook = `export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" $(aws sts assume-role-with-web-identity --web-identity-token "$(cat ${tokenFile})" --role-arn ${roleArn} --role-session-name spacelift-run-\${TF_VAR_spacelift_run_id} --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text))`;
    const r = ok(await j.bash(`${hook}\naws sts get-caller-identity --query Arn --output text`));
    assert.equal(
      r.stdout.trim(),
      `arn:aws:sts::${TOOLING}:assumed-role/spacelift-production/spacelift-run-01HXRUN`,
    );
    // A stack of the development space is refused by the pattern.
    writeFileSync(tokenFile, await platformToken(await development.run("api", "apply")));
    // The hook cannot fail the run by itself (export ignores a failed command substitution): the
    // refusal shows on stderr and the job is left without credentials.
    const refused = await j.bash(`${hook}\naws sts get-caller-identity`);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /AccessDenied\) when calling the AssumeRoleWithWebIdentity operation: Not authorized/,
    );
    // keyless's way: SPACELIFT_OIDC_TOKEN detected.
    const viaKeyless = ok(
      await j.bash(
        `eval "$(${keyless} assume --role-arn ${roleArn})"; aws sts get-caller-identity --query Arn --output text`,
        {
          SPACELIFT_OIDC_TOKEN: await platformToken(await spacelift.run("api", "apply")),
        },
      ),
    );
    assert.match(viaKeyless.stderr, /token from Spacelift \(SPACELIFT_OIDC_TOKEN\)/);
    assert.match(viaKeyless.stdout, /assumed-role\/spacelift-production\//);
  });

  test("seed 003, GitHub Actions: the request-URL fetch, [profile cicd], tooling → workload chaining, Terraform's S3 backend in moto", async () => {
    const gh = await organization(
      { name: "organization", profile: "github", allowedAudiences: ["sts.amazonaws.com"] },
      "repo-name",
      ["main"],
    );
    const roleArn = await seedSeed003Iam(
      async (account, args) => ok(await iam(account, args)),
      { tooling: TOOLING, workload: WORKLOAD },
      "6938fd4d98bab03faadb97b34396831e3780aea1",
    );

    const run = await gh.run("main", "apply", { ref: "refs/heads/main" });
    // The workflow's env block and its "Get OIDC Token" step; the runner gives the job a HOME without ~/.aws.
    const j = job("github");
    const home = join(j.home, "runner-home");
    mkdirSync(home);
    const env = {
      HOME: home,
      AWS_CONFIG_FILE: join(home, ".aws", "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials"),
      AWS_REGION: "eu-central-1",
      AWS_ROLE_ARN: roleArn,
      AWS_WEB_IDENTITY_TOKEN_FILE: join(j.home, "web_identity_token_file"),
      ACTIONS_ID_TOKEN_REQUEST_URL: run.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: run.requestToken,
      CURL_CA_BUNDLE: tls.caFile,
    };
    const step = `curl -s -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com" | jq -r '.value' > $AWS_WEB_IDENTITY_TOKEN_FILE
mkdir ~/.aws
echo -e "[profile cicd]\\nrole_arn=\${AWS_ROLE_ARN}\\nweb_identity_token_file=\${AWS_WEB_IDENTITY_TOKEN_FILE}" >> ~/.aws/config
aws sts get-caller-identity --profile cicd`;
    const got = await j.bash(step, env);
    assert.equal(
      got.code,
      0,
      `${got.stdout}\n${got.stderr}\ntoken file: ${readFileSync(env.AWS_WEB_IDENTITY_TOKEN_FILE, "utf8").slice(0, 300)}`,
    );
    assert.equal(
      JSON.parse(got.stdout).Arn.replace(/\/[^/]+$/, ""),
      `arn:aws:sts::${TOOLING}:assumed-role/GitHubAction-AssumeRoleWithAction`,
    );

    // Chaining into the workload account with the AWS CLI's source_profile, then with keyless.
    const chained = ok(
      await j.bash(
        `printf '[profile workload]\\nrole_arn=arn:aws:iam::${WORKLOAD}:role/cicd\\nsource_profile=cicd\\n' >> ~/.aws/config
aws sts get-caller-identity --profile workload --query Arn --output text`,
        env,
      ),
    );
    assert.match(chained.stdout, new RegExp(`^arn:aws:sts::${WORKLOAD}:assumed-role/cicd/`));
    const viaKeyless = ok(
      await j.bash(
        `${keyless} exec --ca ${tls.caFile} --chain-role-arn arn:aws:iam::${WORKLOAD}:role/cicd --role-arn "$AWS_ROLE_ARN" --audience sts.amazonaws.com -- aws sts get-caller-identity --query Arn --output text`,
        env,
      ),
    );
    assert.match(viaKeyless.stderr, /token from GitHub Actions \(ACTIONS_ID_TOKEN_REQUEST_URL\)/);
    assert.match(viaKeyless.stdout, new RegExp(`^arn:aws:sts::${WORKLOAD}:assumed-role/cicd/`));

    // Terraform's built-in S3 backend with assume_role_with_web_identity: state lands in moto's S3.
    // moto_server takes a moment to start: create the bucket once it answers.
    let bucket = await s3(["s3api", "create-bucket", "--bucket", "tfstate"]);
    for (let i = 0; i < 50 && bucket.code !== 0; i++) {
      await new Promise((wait) => setTimeout(wait, 200));
      bucket = await s3(["s3api", "create-bucket", "--bucket", "tfstate"]);
    }
    ok(bucket);
    const tf = join(j.home, "aws-accounts", "tooling");
    mkdirSync(tf, { recursive: true });
    writeFileSync(
      join(tf, "main.tf"),
      `terraform {
  backend "s3" {
    bucket         = "tfstate"
    key            = "tooling/terraform.tfstate"
    region         = "eu-central-1"
    use_path_style = true
    endpoints = {
      s3  = "${motoUrl}"
      sts = "${emulator.endpoint}"
    }
    assume_role_with_web_identity = {
      role_arn                = "${roleArn}"
      web_identity_token_file = "${env.AWS_WEB_IDENTITY_TOKEN_FILE}"
    }
  }
}
resource "terraform_data" "seed" { input = "003" }
`,
    );
    const tfEnv = {
      ...env,
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
      TF_CLI_CONFIG_FILE: join(j.home, "terraformrc"),
    };
    writeFileSync(tfEnv.TF_CLI_CONFIG_FILE, "");
    const init = await runCommand("terraform", ["init", "-input=false", "-no-color"], {
      env: { ...j.env, ...tfEnv },
      cwd: tf,
      timeoutMs: 180_000,
    });
    ok(init);
    ok(
      await runCommand("terraform", ["apply", "-input=false", "-auto-approve", "-no-color"], {
        env: { ...j.env, ...tfEnv },
        cwd: tf,
        timeoutMs: 180_000,
      }),
    );
    const state = ok(await s3(["s3", "cp", "s3://tfstate/tooling/terraform.tfstate", "-"]));
    assert.match(state.stdout, /"terraform_data"/);
  });

  test("seed 004, HCP Terraform: TFC_AWS_PROVIDER_AUTH with plan and apply roles chosen by the run's phase", async () => {
    const tfc = await organization({ name: "acme", profile: "tfc" }, "core", ["prod"]);
    ok(
      await iam(TOOLING, [
        "create-open-id-connect-provider",
        "--url",
        "https://app.terraform.io",
        "--client-id-list",
        "aws.workload.identity",
      ]),
    );
    for (const phase of ["plan", "apply"]) {
      await createRole(TOOLING, `tfc-${phase}`, {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${TOOLING}:oidc-provider/app.terraform.io` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { "app.terraform.io:aud": "aws.workload.identity" },
              StringLike: {
                "app.terraform.io:sub": `organization:acme:project:core:workspace:prod:run_phase:${phase}`,
              },
            },
          },
        ],
      });
    }
    const j = job("tfc", {
      TFC_AWS_PROVIDER_AUTH: "true",
      TFC_AWS_PLAN_ROLE_ARN: `arn:aws:iam::${TOOLING}:role/tfc-plan`,
      TFC_AWS_APPLY_ROLE_ARN: `arn:aws:iam::${TOOLING}:role/tfc-apply`,
    });
    const assumeAs = async (phase: string, extra: string[] = []) =>
      j.bash(`${keyless} assume --format json ${extra.join(" ")}`, {
        TFC_WORKLOAD_IDENTITY_TOKEN: await platformToken(await tfc.run("prod", phase)),
      });
    const plan = ok(await assumeAs("plan"));
    assert.match(plan.stderr, /token from HCP Terraform \(TFC_WORKLOAD_IDENTITY_TOKEN\)/);
    assert.match(plan.stderr, /from TFC_AWS_PLAN_ROLE_ARN \(plan phase\)/);
    assert.match(JSON.parse(plan.stdout).AssumedRoleUser.Arn, /assumed-role\/tfc-plan\//);
    const apply = ok(await assumeAs("apply"));
    assert.match(JSON.parse(apply.stdout).AssumedRoleUser.Arn, /assumed-role\/tfc-apply\//);
    // A plan run cannot take the apply role, whatever it asks for.
    const escalate = await assumeAs("plan", ["--role-arn", `arn:aws:iam::${TOOLING}:role/tfc-apply`]);
    assert.equal(escalate.code, 1);
    assert.match(
      escalate.stderr,
      /run_phase:plan", policy wants "organization:acme:project:core:workspace:prod:run_phase:apply" -> no match/,
    );
  });
});
