import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  accountOfArn,
  assumedRoleArn,
  isAccountId,
  isoSeconds,
  isRoleSessionName,
  oidcProviderArn,
  parseAssumedRoleArn,
  parseOidcProviderArn,
  parsePolicyArn,
  parseRoleArn,
  parseRootArn,
  parseUserArn,
  roleArn,
  rootArn,
} from "../../../src/core/aws/index.js";
import { assumeRoleRequest, CallerArnError } from "../../../src/core/federation/index.js";

describe("ARNs in every partition", () => {
  test("role ARNs: path kept, partition known, names of 1-64 characters", () => {
    for (const partition of ["aws", "aws-cn", "aws-us-gov"] as const) {
      const arn = `arn:${partition}:iam::123456789012:role/ci/deploy`;
      assert.deepEqual(parseRoleArn(arn), {
        partition,
        account: "123456789012",
        path: "/ci/",
        name: "deploy",
      });
      assert.equal(roleArn({ partition, account: "123456789012", path: "/ci/", name: "deploy" }), arn);
    }
    assert.equal(parseRoleArn("arn:aws:iam::123456789012:role/deploy")?.path, "/");
    assert.equal(parseRoleArn("arn:aws-iso-b:iam::123456789012:role/deploy")?.partition, "aws-iso-b");
    assert.equal(parseRoleArn("arn:aws-foo:iam::123456789012:role/deploy"), undefined);
    assert.equal(parseRoleArn("arn:aws:iam::12345678901:role/deploy"), undefined);
    assert.equal(parseRoleArn(`arn:aws:iam::123456789012:role/${"r".repeat(65)}`), undefined);
    assert.equal(parseRoleArn("arn:aws:iam::123456789012:role/a b"), undefined);
  });

  test("sessions, roots, users, providers and policies", () => {
    const session = "arn:aws-cn:sts::123456789012:assumed-role/deploy/ci@run-1";
    assert.deepEqual(parseAssumedRoleArn(session), {
      partition: "aws-cn",
      account: "123456789012",
      roleName: "deploy",
      sessionName: "ci@run-1",
    });
    assert.equal(
      assumedRoleArn({
        partition: "aws-cn",
        account: "123456789012",
        roleName: "deploy",
        sessionName: "ci@run-1",
      }),
      session,
    );
    assert.deepEqual(parseRootArn(rootArn("123456789012", "aws-us-gov")), {
      partition: "aws-us-gov",
      account: "123456789012",
    });
    assert.equal(parseUserArn("arn:aws:iam::123456789012:user/ops/alice")?.name, "alice");
    const provider = oidcProviderArn("123456789012", "token.actions.githubusercontent.com/");
    assert.equal(parseOidcProviderArn(provider)?.url, "token.actions.githubusercontent.com/");
    assert.equal(parsePolicyArn("arn:aws:iam::aws:policy/ReadOnlyAccess")?.account, "aws");
    for (const arn of [
      session,
      provider,
      "arn:aws:iam::123456789012:root",
      "arn:aws:iam::123456789012:user/u",
    ])
      assert.equal(accountOfArn(arn), "123456789012");
    assert.equal(accountOfArn("arn:aws:s3:::bucket"), undefined);
  });

  test("identifiers and the second-precision timestamp", () => {
    assert.ok(isAccountId("123456789012"));
    assert.ok(!isAccountId("12345678901a"));
    assert.ok(isRoleSessionName("ci@run_1+x=y,z.-"));
    assert.ok(!isRoleSessionName("x"));
    assert.ok(!isRoleSessionName("a".repeat(65)));
    assert.ok(!isRoleSessionName("has space"));
    assert.equal(isoSeconds(Date.UTC(2024, 0, 1, 0, 0, 0, 999)), "2024-01-01T00:00:00Z");
  });
});

describe("assumeRoleRequest", () => {
  const now = Date.UTC(2026, 10, 29, 12, 0, 0);
  const values = (r: ReturnType<typeof assumeRoleRequest>, key: string) => r.context.get(key.toLowerCase());

  test("a role session: principal with its role, tags, source identity and issue time", () => {
    const r = assumeRoleRequest({
      caller: {
        arn: "arn:aws:sts::111111111111:assumed-role/tooling/ci",
        roleArn: "arn:aws:iam::111111111111:role/team/tooling",
        userId: "AROAEXAMPLE:ci",
        principalTags: [{ key: "team", value: "red" }],
        sourceIdentity: "alice",
        tokenIssuedAt: now - 60_000,
      },
      roleSessionName: "chain",
      sourceIdentity: "alice",
      tags: [{ key: "env", value: "prod" }],
      transitiveTagKeys: ["env"],
      now,
    });
    assert.deepEqual(r.principal, {
      type: "AWS",
      arn: "arn:aws:sts::111111111111:assumed-role/tooling/ci",
      account: "111111111111",
      roleArn: "arn:aws:iam::111111111111:role/team/tooling",
    });
    assert.deepEqual(r.actions, ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]);
    assert.deepEqual(values(r, "aws:PrincipalArn"), ["arn:aws:iam::111111111111:role/team/tooling"]);
    assert.deepEqual(values(r, "aws:PrincipalType"), ["AssumedRole"]);
    assert.deepEqual(values(r, "aws:userid"), ["AROAEXAMPLE:ci"]);
    assert.deepEqual(values(r, "aws:PrincipalTag/team"), ["red"]);
    assert.deepEqual(values(r, "aws:RequestTag/env"), ["prod"]);
    assert.deepEqual(values(r, "aws:TagKeys"), ["env"]);
    assert.deepEqual(values(r, "sts:TransitiveTagKeys"), ["env"]);
    assert.deepEqual(values(r, "aws:TokenIssueTime"), ["2026-11-29T11:59:00Z"]);
    assert.deepEqual(values(r, "aws:CurrentTime"), ["2026-11-29T12:00:00Z"]);
    assert.deepEqual(values(r, "aws:EpochTime"), [String(now / 1000)]);
    assert.equal(values(r, "aws:MultiFactorAuthPresent"), undefined);
  });

  test("root and users: their principal types; root's userid is the account; bad ARNs refused", () => {
    const root = assumeRoleRequest({
      caller: { arn: "arn:aws:iam::222222222222:root" },
      roleSessionName: "s1",
      now,
    });
    assert.deepEqual(values(root, "aws:PrincipalType"), ["Account"]);
    assert.deepEqual(values(root, "aws:userid"), ["222222222222"]);
    assert.deepEqual(root.actions, ["sts:AssumeRole"]);
    const user = assumeRoleRequest({
      caller: { arn: "arn:aws:iam::222222222222:user/alice", multiFactorAuthPresent: true },
      roleSessionName: "s1",
      externalId: "x-1",
      now,
      secureTransport: true,
    });
    assert.deepEqual(values(user, "aws:PrincipalType"), ["User"]);
    assert.deepEqual(values(user, "sts:ExternalId"), ["x-1"]);
    assert.deepEqual(values(user, "aws:MultiFactorAuthPresent"), ["true"]);
    assert.deepEqual(values(user, "aws:SecureTransport"), ["true"]);
    assert.throws(
      () => assumeRoleRequest({ caller: { arn: "arn:aws:s3:::bucket" }, roleSessionName: "s1", now }),
      CallerArnError,
    );
  });
});
