import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RoleSelectionError, selectRole, sessionName } from "../../../src/runner/role.js";

const arn = (name: string) => `arn:aws:iam::123456789012:role/${name}`;

describe("which role to assume", () => {
  test("precedence: --role-arn, KEYLESS_ROLE_ARN, ENV0_AWS_ROLE_ARN, then HCP Terraform's variables", () => {
    const env = {
      KEYLESS_ROLE_ARN: arn("k"),
      ENV0_AWS_ROLE_ARN: arn("e"),
      TFC_AWS_PROVIDER_AUTH: "true",
      TFC_AWS_RUN_ROLE_ARN: arn("t"),
    };
    assert.deepEqual(selectRole(arn("flag"), env, {}), { roleArn: arn("flag"), from: "--role-arn" });
    assert.equal(selectRole(undefined, env, {}).roleArn, arn("k"));
    assert.equal(selectRole(undefined, { ...env, KEYLESS_ROLE_ARN: undefined }, {}).roleArn, arn("e"));
    assert.equal(
      selectRole(undefined, { TFC_AWS_PROVIDER_AUTH: "true", TFC_AWS_RUN_ROLE_ARN: arn("t") }, {}).roleArn,
      arn("t"),
    );
  });

  test("HCP Terraform: plan and apply roles by the token's terraform_run_phase, only with TFC_AWS_PROVIDER_AUTH=true", () => {
    const env = {
      TFC_AWS_PROVIDER_AUTH: "true",
      TFC_AWS_RUN_ROLE_ARN: arn("run"),
      TFC_AWS_PLAN_ROLE_ARN: arn("plan"),
      TFC_AWS_APPLY_ROLE_ARN: arn("apply"),
    };
    assert.equal(selectRole(undefined, env, { terraform_run_phase: "plan" }).roleArn, arn("plan"));
    assert.equal(selectRole(undefined, env, { terraform_run_phase: "apply" }).roleArn, arn("apply"));
    assert.equal(
      selectRole(undefined, { ...env, TFC_AWS_APPLY_ROLE_ARN: undefined }, { terraform_run_phase: "apply" })
        .roleArn,
      arn("run"),
    );
    assert.throws(
      () =>
        selectRole(undefined, { ...env, TFC_AWS_PROVIDER_AUTH: undefined }, { terraform_run_phase: "plan" }),
      RoleSelectionError,
    );
  });

  test("EKS's AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME (IRSA) name the role and session, after keyless's own", () => {
    const pod = { AWS_ROLE_ARN: arn("pod"), AWS_ROLE_SESSION_NAME: "botocore-session-1" };
    assert.deepEqual(selectRole(undefined, pod, {}), { roleArn: arn("pod"), from: "AWS_ROLE_ARN" });
    assert.equal(selectRole(undefined, { ...pod, KEYLESS_ROLE_ARN: arn("k") }, {}).roleArn, arn("k"));
    assert.equal(sessionName(undefined, pod, {}), "botocore-session-1");
    assert.equal(sessionName(undefined, pod, { run_id: "run-1" }), "run-1", "the run's id first");
  });

  test("a value that is not a role ARN is refused, naming its source", () => {
    assert.throws(
      () => selectRole(undefined, { ENV0_AWS_ROLE_ARN: "deploy" }, {}),
      /ENV0_AWS_ROLE_ARN is not a role ARN: "deploy"/,
    );
    assert.throws(() => selectRole(undefined, {}, {}), /no role to assume/);
  });
});

describe("session names, valid by construction", () => {
  test("from the run when known, with characters outside [\\w+=,.@-] replaced and the length capped", () => {
    assert.equal(sessionName(undefined, {}, { run_id: "run 42/α" }), "run-42--");
    assert.equal(sessionName(undefined, { GITHUB_RUN_ID: "9876" }, {}), "GitHubActions-9876");
    assert.equal(sessionName(undefined, {}, { terraform_run_id: `run-${"x".repeat(80)}` }).length, 64);
    assert.match(sessionName(undefined, {}, {}), /^keyless-\d+$/);
    assert.equal(sessionName(undefined, {}, { run_id: "a" }), "keyless-a", "at least two characters");
  });

  test("--session-name is used as given, and refused when STS would refuse it", () => {
    assert.equal(sessionName("ci-run", {}, { run_id: "x" }), "ci-run");
    assert.throws(() => sessionName("bad name!", {}, {}), RoleSelectionError);
  });
});
