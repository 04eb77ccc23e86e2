import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { seedWebIdentityRole } from "../support/aws.js";
import { runCommand } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator } from "../support/emulator.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { freePort } from "../support/ports.js";
import { startTestIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

/** Terraform 1.11's built-in S3 backend: web identity through the emulator, state in a moto_server S3. */
const ACCOUNT = "123456789012";
const SUB = "repo:organization/repo-name:ref:refs/heads/main";

describe("Terraform S3 backend with assume_role_with_web_identity", () => {
  const dir = tempDir();
  let issuer: TestIssuer;
  let emulator: RunningEmulator;
  let moto: ChildProcess;
  let motoUrl: string;

  before(async () => {
    ({ issuer, emulator } = await startTestIssuerWithEmulator(dir.path, {
      issuer: "https://token.actions.githubusercontent.com",
    }));
    const motoPort = await freePort();
    motoUrl = `http://127.0.0.1:${motoPort}`;
    moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(motoPort)], { stdio: "ignore" });
    const admin = isolatedEnv(join(dir.path, "admin"), {
      AWS_ACCESS_KEY_ID: ACCOUNT,
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
    });
    for (let i = 0; i < 100; i++) {
      const r = await runCommand(
        "aws",
        ["--endpoint-url", motoUrl, "s3api", "create-bucket", "--bucket", "tfstate"],
        { env: admin },
      );
      if (r.code === 0) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    await seedWebIdentityRole({
      endpoint: emulator.endpoint,
      dir: dir.path,
      account: ACCOUNT,
      providerUrl: "https://token.actions.githubusercontent.com",
      roleName: "ci",
      condition: {
        StringEquals: {
          "token.actions.githubusercontent.com:sub": SUB,
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        },
      },
    });
  });
  after(async () => {
    moto?.kill("SIGTERM");
    await emulator?.stop();
    await issuer?.close();
    dir.cleanup();
  });

  async function workspace(name: string, sub: string) {
    const ws = join(dir.path, name);
    mkdirSync(ws);
    const tokenFile = join(ws, "token.jwt");
    writeFileSync(tokenFile, await issuer.sign({ sub, aud: "sts.amazonaws.com" }), { mode: 0o600 });
    writeFileSync(
      join(ws, "main.tf"),
      `terraform {
  backend "s3" {
    bucket         = "tfstate"
    key            = "${name}/terraform.tfstate"
    region         = "us-east-1"
    use_path_style = true
    use_lockfile   = true
    endpoints = {
      s3  = "${motoUrl}"
      sts = "${emulator.endpoint}"
      iam = "${emulator.endpoint}"
    }
    assume_role_with_web_identity = {
      role_arn                = "arn:aws:iam::${ACCOUNT}:role/ci"
      web_identity_token_file = "${tokenFile}"
      session_name            = "terraform-backend"
    }
  }
}
resource "terraform_data" "demo" { input = "hello" }
output "demo" { value = terraform_data.demo.output }
`,
    );
    writeFileSync(join(ws, "terraformrc"), "");
    const env = isolatedEnv(ws, {
      TF_CLI_CONFIG_FILE: join(ws, "terraformrc"),
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
    });
    return { ws, env };
  }

  test("init + apply store state in moto with credentials the emulator issued", async () => {
    const { ws, env } = await workspace("good", SUB);
    const init = await runCommand("terraform", ["init", "-input=false", "-no-color"], {
      env,
      cwd: ws,
      timeoutMs: 180_000,
    });
    assert.equal(init.code, 0, init.stdout + init.stderr);
    const apply = await runCommand("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], {
      env,
      cwd: ws,
      timeoutMs: 180_000,
    });
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const admin = isolatedEnv(join(dir.path, "reader"), {
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_DEFAULT_REGION: "us-east-1",
    });
    const state = await runCommand(
      "aws",
      ["--endpoint-url", motoUrl, "s3", "cp", "s3://tfstate/good/terraform.tfstate", "-"],
      { env: admin },
    );
    assert.equal(state.code, 0, state.stderr);
    assert.equal(JSON.parse(state.stdout).outputs.demo.value, "hello");
  });

  test("a token the trust policy refuses makes terraform init fail with the emulator's AccessDenied", async () => {
    const { ws, env } = await workspace("refused", "repo:evil/repo:ref:refs/heads/main");
    const init = await runCommand("terraform", ["init", "-input=false", "-no-color"], {
      env,
      cwd: ws,
      timeoutMs: 180_000,
    });
    assert.notEqual(init.code, 0);
    assert.match(
      (init.stdout + init.stderr).replace(/\s+/g, " "),
      /StatusCode: 403, .*api error AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity/,
    );
  });
});
