import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runKeyless } from "../support/cli.js";
import { awsAdmin, type RunningEmulator, startEmulator } from "../support/emulator.js";
import { tempDir } from "../support/tmp.js";

/**
 * `keyless explain --caller` and the emulator's STS build the sts:AssumeRole request with the same
 * function. Proof with real peers: a trust policy that pins every key STS documents for the call
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html) admits the
 * AWS CLI's assume-role against the emulator, and explain, given the same call, allows it too; one key
 * changed, both refuse.
 */
const ACCOUNT = "111111111111";
const CALLER = `arn:aws:iam::${ACCOUNT}:root`;

const trust = (principalType: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        StringEquals: {
          "aws:PrincipalArn": CALLER,
          "aws:PrincipalAccount": ACCOUNT,
          "aws:PrincipalType": principalType,
          "aws:userid": ACCOUNT,
          "sts:RoleSessionName": "ci",
          "sts:ExternalId": "ext-123",
          "aws:RequestTag/team": "red",
        },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] },
        Null: {
          "aws:TagKeys": "false",
          "aws:SecureTransport": "false",
          "aws:CurrentTime": "false",
          "aws:EpochTime": "false",
        },
      },
    },
  ],
});

describe("sts:AssumeRole: the emulator's STS and explain --caller evaluate the same request", () => {
  const dir = tempDir();
  let emulator: RunningEmulator;
  let aws: ReturnType<typeof awsAdmin>;
  const files: Record<string, string> = {};
  before(async () => {
    emulator = await startEmulator(join(dir.path, "data"));
    aws = awsAdmin(emulator.endpoint, dir.path);
    for (const [name, type] of [
      ["pinned", "Account"],
      ["wrong-type", "User"],
    ] as const) {
      files[name] = join(dir.path, `${name}.json`);
      writeFileSync(files[name], JSON.stringify(trust(type)));
      const created = await aws(ACCOUNT, [
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        `file://${files[name]}`,
      ]);
      assert.equal(created.code, 0, created.stderr);
    }
  });
  after(async () => {
    await emulator.stop();
    dir.cleanup();
  });

  const assume = (role: string) =>
    aws(ACCOUNT, [
      "sts",
      "assume-role",
      "--role-arn",
      `arn:aws:iam::${ACCOUNT}:role/${role}`,
      "--role-session-name",
      "ci",
      "--external-id",
      "ext-123",
      "--tags",
      "Key=team,Value=red",
      "--output",
      "json",
    ]);
  const explain = (role: string) =>
    runKeyless([
      "explain",
      "--policy",
      files[role]!,
      "--caller",
      CALLER,
      "--role-arn",
      `arn:aws:iam::${ACCOUNT}:role/${role}`,
      "--session-name",
      "ci",
      "--context",
      "sts:ExternalId=ext-123",
      "--context",
      "aws:RequestTag/team=red",
      "--json",
    ]);

  test("every pinned key holds at STS and in explain", async () => {
    const sts = await assume("pinned");
    assert.equal(sts.code, 0, sts.stderr);
    assert.match(JSON.parse(sts.stdout).AssumedRoleUser.Arn, /assumed-role\/pinned\/ci$/);
    const report = await explain("pinned");
    assert.equal(report.code, 0, report.stdout + report.stderr);
    const json = JSON.parse(report.stdout);
    assert.equal(json.decision, "allow");
    assert.deepEqual(
      json.requiredActions.map((a: { action: string }) => a.action),
      ["sts:AssumeRole", "sts:TagSession"],
    );
    for (const key of ["aws:principaltype", "aws:userid", "aws:securetransport", "aws:tagkeys"])
      assert.ok(key in json.context, `explain's context lacks ${key}`);
  });

  test("one key the call does not satisfy: both refuse", async () => {
    const sts = await assume("wrong-type");
    assert.notEqual(sts.code, 0);
    assert.match(sts.stderr, /AccessDenied/);
    const report = await explain("wrong-type");
    assert.equal(report.code, 1, report.stderr);
    assert.equal(JSON.parse(report.stdout).decision, "deny");
  });
});
