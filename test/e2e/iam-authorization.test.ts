import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  GetPolicyCommand,
  IAMClient,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { runKeyless } from "../support/cli.js";
import { type RunningEmulator, startEmulator } from "../support/emulator.js";
import type { Json } from "../support/issuer.js";
import { tempDir } from "../support/tmp.js";

/**
 * The authorization matrix: a role with an inline policy, a managed policy, a permissions boundary, and
 * sessions with a session policy (inline, then PolicyArns); calls inside and outside each, each refusal
 * with AWS's message for its policy type; an explicit deny beating an allow; the root unrestricted.
 * Real AWS SDK for JavaScript v3 against a real `keyless emulator` process.
 */
const ACCOUNT = "111111111111";
const arn = (kind: string, name: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/run-42`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const trust = doc({
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: "sts:AssumeRole",
});
const noAccess = (action: string, resource: string | undefined, tail: string) =>
  `User: ${SESSION} is not authorized to perform: ${action}${resource ? ` on resource: ${resource}` : ""} ${tail}`;

describe("IAM authorization by AWS's evaluation logic (SDK v3)", () => {
  const dir = tempDir();
  let emulator: RunningEmulator;
  let root: IAMClient;
  let session: IAMClient;
  let sessionWithArns: IAMClient;

  const client = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
    new IAMClient({ endpoint: emulator.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });

  async function assume(extra: { Policy?: string; PolicyArns?: { arn: string }[] }): Promise<IAMClient> {
    const sts = new STSClient({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: "test" },
    });
    const r = await sts.send(
      new AssumeRoleCommand({ RoleArn: arn("role", "deploy"), RoleSessionName: "run-42", ...extra }),
    );
    const c = r.Credentials!;
    return client({
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    });
  }

  async function refused(call: Promise<unknown>, message: string): Promise<void> {
    await assert.rejects(call, (e: Error & { name: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, "AccessDenied");
      assert.equal(e.$metadata?.httpStatusCode, 403);
      assert.equal(e.message, message);
      return true;
    });
  }

  before(async () => {
    emulator = await startEmulator(dir.path);
    root = client({ accessKeyId: ACCOUNT, secretAccessKey: "test" });
    await root.send(new CreateRoleCommand({ RoleName: "deploy", AssumeRolePolicyDocument: trust }));
    await root.send(new CreateRoleCommand({ RoleName: "app-protected", AssumeRolePolicyDocument: trust }));
    await root.send(new CreateRoleCommand({ RoleName: "app-keep", AssumeRolePolicyDocument: trust }));
    await root.send(
      new PutRolePolicyCommand({
        RoleName: "deploy",
        PolicyName: "inline",
        PolicyDocument: doc(
          {
            Sid: "AppRoles",
            Effect: "Allow",
            Action: ["iam:CreateRole", "iam:DeleteRole", "iam:PutRolePolicy"],
            Resource: arn("role", "app-*"),
          },
          {
            Sid: "Protected",
            Effect: "Deny",
            Action: "iam:DeleteRole",
            Resource: arn("role", "app-protected"),
          },
          {
            Sid: "BlueTags",
            Effect: "Allow",
            Action: "iam:TagRole",
            Resource: arn("role", "app-*"),
            Condition: {
              StringEquals: { "aws:RequestTag/team": "blue" },
              "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] },
            },
          },
          {
            Sid: "BlueRoles",
            Effect: "Allow",
            Action: "iam:ListRoleTags",
            Resource: "*",
            Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } },
          },
        ),
      }),
    );
    await root.send(
      new CreatePolicyCommand({
        PolicyName: "deploy-managed",
        PolicyDocument: doc(
          { Effect: "Allow", Action: ["iam:ListRoles", "iam:GetPolicy"], Resource: "*" },
          {
            Effect: "Allow",
            Action: "iam:AttachRolePolicy",
            Resource: arn("role", "app-*"),
            Condition: { ArnEquals: { "iam:PolicyARN": arn("policy", "app-readonly") } },
          },
        ),
      }),
    );
    await root.send(
      new AttachRolePolicyCommand({ RoleName: "deploy", PolicyArn: arn("policy", "deploy-managed") }),
    );
    await root.send(
      new CreatePolicyCommand({
        PolicyName: "deploy-boundary",
        PolicyDocument: doc(
          {
            Effect: "Allow",
            Action: [
              "iam:CreateRole",
              "iam:DeleteRole",
              "iam:ListRoles",
              "iam:GetPolicy",
              "iam:AttachRolePolicy",
              "iam:TagRole",
              "iam:ListRoleTags",
            ],
            Resource: "*",
          },
          { Effect: "Deny", Action: "iam:DeleteRole", Resource: arn("role", "app-keep") },
        ),
      }),
    );
    await root.send(
      new PutRolePermissionsBoundaryCommand({
        RoleName: "deploy",
        PermissionsBoundary: arn("policy", "deploy-boundary"),
      }),
    );
    await root.send(
      new CreatePolicyCommand({
        PolicyName: "app-readonly",
        PolicyDocument: doc({ Effect: "Allow", Action: "iam:Get*", Resource: "*" }),
      }),
    );
    await root.send(
      new CreatePolicyCommand({
        PolicyName: "session-no-list",
        PolicyDocument: doc(
          { Effect: "Allow", Action: "iam:*", Resource: "*" },
          { Effect: "Deny", Action: "iam:ListRoles", Resource: "*" },
        ),
      }),
    );
    session = await assume({
      Policy: doc({
        Effect: "Allow",
        Action: [
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:ListRoles",
          "iam:PutRolePolicy",
          "iam:AttachRolePolicy",
          "iam:TagRole",
          "iam:ListRoleTags",
        ],
        Resource: "*",
      }),
    });
    sessionWithArns = await assume({ PolicyArns: [{ arn: arn("policy", "session-no-list") }] });
  });
  after(async () => {
    await emulator?.stop();
    dir.cleanup();
  });

  test("inside every policy type: allowed", async () => {
    await session.send(new CreateRoleCommand({ RoleName: "app-x", AssumeRolePolicyDocument: trust }));
    const roles = await session.send(new ListRolesCommand({}));
    assert.ok(roles.Roles?.some((r) => r.RoleName === "app-x"));
    await session.send(
      new AttachRolePolicyCommand({ RoleName: "app-x", PolicyArn: arn("policy", "app-readonly") }),
    );
    await session.send(new TagRoleCommand({ RoleName: "app-x", Tags: [{ Key: "team", Value: "blue" }] }));
    const tags = await session.send(new ListRoleTagsCommand({ RoleName: "app-x" }));
    assert.deepEqual(tags.Tags, [{ Key: "team", Value: "blue" }]);
  });

  test("outside the identity-based policies: no identity-based policy allows", async () => {
    await refused(
      session.send(new CreateRoleCommand({ RoleName: "other", AssumeRolePolicyDocument: trust })),
      noAccess(
        "iam:CreateRole",
        arn("role", "other"),
        "because no identity-based policy allows the iam:CreateRole action",
      ),
    );
    // iam:PolicyARN: only app-readonly may be attached.
    await refused(
      session.send(
        new AttachRolePolicyCommand({ RoleName: "app-x", PolicyArn: arn("policy", "session-no-list") }),
      ),
      noAccess(
        "iam:AttachRolePolicy",
        arn("role", "app-x"),
        "because no identity-based policy allows the iam:AttachRolePolicy action",
      ),
    );
    // aws:RequestTag/*: only team=blue may be set.
    await refused(
      session.send(new TagRoleCommand({ RoleName: "app-x", Tags: [{ Key: "team", Value: "red" }] })),
      noAccess(
        "iam:TagRole",
        arn("role", "app-x"),
        "because no identity-based policy allows the iam:TagRole action",
      ),
    );
    // aws:ResourceTag/*: app-protected carries no team=blue tag.
    await refused(
      session.send(new ListRoleTagsCommand({ RoleName: "app-protected" })),
      noAccess(
        "iam:ListRoleTags",
        arn("role", "app-protected"),
        "because no identity-based policy allows the iam:ListRoleTags action",
      ),
    );
  });

  test("outside the permissions boundary", async () => {
    await refused(
      session.send(
        new PutRolePolicyCommand({
          RoleName: "app-x",
          PolicyName: "p",
          PolicyDocument: doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }),
        }),
      ),
      noAccess(
        "iam:PutRolePolicy",
        arn("role", "app-x"),
        "because no permissions boundary allows the iam:PutRolePolicy action",
      ),
    );
  });

  test("outside the session policy", async () => {
    await refused(
      session.send(new GetPolicyCommand({ PolicyArn: arn("policy", "app-readonly") })),
      noAccess(
        "iam:GetPolicy",
        arn("policy", "app-readonly"),
        "because no session policy allows the iam:GetPolicy action",
      ),
    );
    // The same call from a session whose PolicyArns allow it.
    const p = await sessionWithArns.send(new GetPolicyCommand({ PolicyArn: arn("policy", "app-readonly") }));
    assert.equal(p.Policy?.PolicyName, "app-readonly");
  });

  test("an explicit deny beats an allow, in each policy type", async () => {
    await refused(
      session.send(new DeleteRoleCommand({ RoleName: "app-protected" })),
      noAccess(
        "iam:DeleteRole",
        arn("role", "app-protected"),
        "with an explicit deny in an identity-based policy",
      ),
    );
    await refused(
      session.send(new DeleteRoleCommand({ RoleName: "app-keep" })),
      noAccess("iam:DeleteRole", arn("role", "app-keep"), "with an explicit deny in a permissions boundary"),
    );
    await refused(
      sessionWithArns.send(new ListRolesCommand({})),
      noAccess("iam:ListRoles", undefined, "with an explicit deny in a session policy"),
    );
  });

  test("cross-account AssumeRole needs both sides: the trust and the caller's own policies", async () => {
    const other = client({ accessKeyId: "222222222222", secretAccessKey: "test" });
    await other.send(new CreateRoleCommand({ RoleName: "workload", AssumeRolePolicyDocument: trust }));
    const creds = await session.config.credentials();
    const sts = new STSClient({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: creds,
      maxAttempts: 1,
    });
    const target = "arn:aws:iam::222222222222:role/workload";
    await refused(
      sts.send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: "hop" })),
      noAccess("sts:AssumeRole", target, "because no identity-based policy allows the sts:AssumeRole action"),
    );
  });

  test("the static test credentials stay the account root; GetCallerIdentity needs no permission", async () => {
    await root.send(new DeleteRoleCommand({ RoleName: "app-protected" }));
    const sts = new STSClient({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: await sessionWithArns.config.credentials(),
    });
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, SESSION);
  });

  test("the decision log: CloudTrail-shaped events, listed while running, a refusal explained from its event", async () => {
    const list = await runKeyless(["emulator", "events", "--data-dir", dir.path, "--refused", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    const events = list.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Json);
    const deny = events.find(
      (e) => e.eventName === "DeleteRole" && e.requestParameters?.roleName === "app-protected",
    );
    assert.ok(deny, list.stdout);
    assert.equal(deny.eventSource, "iam.amazonaws.com");
    assert.equal(deny.errorCode, "AccessDenied");
    assert.equal(
      deny.errorMessage,
      noAccess(
        "iam:DeleteRole",
        arn("role", "app-protected"),
        "with an explicit deny in an identity-based policy",
      ),
    );
    assert.equal(deny.userIdentity.type, "AssumedRole");
    assert.equal(deny.userIdentity.arn, SESSION);
    assert.equal(deny.userIdentity.sessionContext.sessionIssuer.arn, arn("role", "deploy"));
    assert.deepEqual(deny.keyless.statements, [
      { policyType: "identity-based policy", policy: "inline:inline", index: 1, sid: "Protected" },
    ]);
    // No secret is ever written: not the session token, not the web identity token.
    assert.ok(!list.stdout.includes("sessionToken") && !/X-Amz-Security-Token/i.test(list.stdout));
    // Allowed calls are logged too, with the statements that allowed them.
    const all = await runKeyless(["emulator", "events", "--data-dir", dir.path, "--json"]);
    const created = all.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Json)
      .find((e) => e.eventName === "CreateRole" && e.requestParameters?.roleName === "app-x");
    assert.equal(created?.keyless.decision, "allow");
    assert.deepEqual(
      created?.keyless.statements.map((s: { policyType: string }) => s.policyType),
      ["identity-based policy", "permissions boundary", "session policy"],
    );

    const explained = await runKeyless(["explain", "--event", deny.eventID, "--data-dir", dir.path]);
    assert.equal(explained.code, 1, explained.stderr);
    assert.match(explained.stdout, /DENY: User: .* with an explicit deny in an identity-based policy/);
    assert.match(
      explained.stdout,
      /refused by identity-based policy inline:inline, statement 1 \(Protected\)/,
    );
    const tagged = events.find((e) => e.eventName === "TagRole");
    const why = await runKeyless(["explain", "--event", tagged!.eventID, "--data-dir", dir.path]);
    assert.match(why.stdout, /condition StringEquals aws:RequestTag\/team: .* -> no match/);
    const missing = await runKeyless(["explain", "--event", "nope", "--data-dir", dir.path]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^keyless: no event nope/);
  });
});
