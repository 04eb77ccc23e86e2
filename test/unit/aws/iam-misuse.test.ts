import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
} from "@aws-sdk/client-iam";
import {
  type InProcessEmulator,
  refused,
  startInProcessEmulator,
} from "../../support/in-process-emulator.js";
import { tempDir } from "../../support/tmp.js";

/**
 * Documented IAM misuses answer IAM's error codes (https://docs.aws.amazon.com/IAM/latest/APIReference/
 * API_CreateRole.html#API_CreateRole_Errors and the Errors section of each action named below), seen
 * through a real client (the AWS SDK for JavaScript v3) against the in-process emulator. Written for the
 * least-covered branches of src/aws/iam/model.ts as `npm run coverage` measured them.
 */
const ACCOUNT = "123456789012";
const OTHER = "210987654321";
const URL = "https://token.example.com";
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.example.com`;
const THUMB = "0123456789abcdef0123456789abcdef01234567";
const trust = (principal: Record<string, string>) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }],
  });

describe("IAM misuses answer IAM's error codes (AWS SDK v3, in-process emulator)", () => {
  const dir = tempDir();
  let stack: InProcessEmulator;
  let iam: IAMClient;
  let other: IAMClient;

  before(async () => {
    stack = await startInProcessEmulator(dir.path);
    iam = stack.iam(ACCOUNT);
    other = stack.iam(OTHER);
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: URL, ClientIDList: ["sts.amazonaws.com"] }));
    await iam.send(
      new CreateRoleCommand({ RoleName: "deploy", AssumeRolePolicyDocument: trust({ AWS: ACCOUNT }) }),
    );
  });
  after(async () => {
    await stack?.close();
    dir.cleanup();
  });

  test("OIDC providers: duplicate, thumbprints, ARNs, another account's provider", async () => {
    await refused(
      iam.send(new CreateOpenIDConnectProviderCommand({ Url: URL, ClientIDList: ["x"] })),
      "EntityAlreadyExists",
      /already exists/,
    );
    await refused(
      iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: "https://six.example.com",
          ThumbprintList: Array(6).fill(THUMB),
        }),
      ),
      "InvalidInput",
      /fewer than 5/,
    );
    await refused(
      iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: "https://hex.example.com",
          ThumbprintList: ["z".repeat(40)],
        }),
      ),
      "InvalidInput",
      /hexadecimal/,
    );
    await refused(
      iam.send(
        new UpdateOpenIDConnectProviderThumbprintCommand({
          OpenIDConnectProviderArn: PROVIDER,
          ThumbprintList: Array(6).fill(THUMB),
        }),
      ),
      "InvalidInput",
      /fewer than 5/,
    );
    await refused(
      iam.send(
        new GetOpenIDConnectProviderCommand({
          OpenIDConnectProviderArn: "arn:aws:iam::123456789012:role/nope",
        }),
      ),
      "InvalidInput",
      /is not valid/,
    );
    await refused(
      iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: `${PROVIDER}x` })),
      "NoSuchEntity",
    );
    // The provider exists, but in another account: for that caller it does not.
    await refused(
      other.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER })),
      "NoSuchEntity",
    );
    await refused(
      other.send(
        new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER, ClientID: "a" }),
      ),
      "NoSuchEntity",
    );
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER }));
    assert.deepEqual(got.ClientIDList, ["sts.amazonaws.com"], "refused calls changed nothing");
  });

  test("client IDs: at most 100 per provider (LimitExceeded); adding one twice is a no-op", async () => {
    const arn = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://many.example.com" })))
      .OpenIDConnectProviderArn;
    for (let i = 0; i < 100; i++)
      await iam.send(
        new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: `c${i}` }),
      );
    await iam.send(
      new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "c0" }),
    );
    await refused(
      iam.send(
        new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "c100" }),
      ),
      "LimitExceeded",
      /ClientIdsPerOpenIdConnectProvider: 100/,
    );
  });

  test("roles: duplicate, missing, bad session duration, trust principals that do not exist, oversized trust", async () => {
    await refused(
      iam.send(
        new CreateRoleCommand({ RoleName: "DEPLOY", AssumeRolePolicyDocument: trust({ AWS: ACCOUNT }) }),
      ),
      "EntityAlreadyExists",
      /Role with name DEPLOY already exists/,
    );
    await refused(
      iam.send(new GetRoleCommand({ RoleName: "absent" })),
      "NoSuchEntity",
      /absent cannot be found/,
    );
    await refused(
      iam.send(
        new CreateRoleCommand({
          RoleName: "short",
          AssumeRolePolicyDocument: trust({ AWS: ACCOUNT }),
          MaxSessionDuration: 60,
        }),
      ),
      "ValidationError",
      /maxSessionDuration/,
    );
    // IAM resolves AWS principals when the trust policy is saved.
    await refused(
      iam.send(
        new CreateRoleCommand({
          RoleName: "trusting",
          AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${ACCOUNT}:role/ghost` }),
        }),
      ),
      "MalformedPolicyDocument",
      /Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role\/ghost"/,
    );
    await refused(
      iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: "deploy",
          PolicyDocument: trust({ AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }),
        }),
      ),
      "MalformedPolicyDocument",
    );
    await refused(
      iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: "absent", PolicyDocument: trust({ AWS: ACCOUNT }) }),
      ),
      "NoSuchEntity",
    );
    const big = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: ACCOUNT },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:PrincipalTag/team": Array.from({ length: 200 }, (_, i) => `team-${i}`) },
          },
        },
      ],
    });
    await refused(
      iam.send(new CreateRoleCommand({ RoleName: "big", AssumeRolePolicyDocument: big })),
      "LimitExceeded",
      /ACLSizePerRole: 2048/,
    );
    await refused(iam.send(new GetRoleCommand({ RoleName: "big" })), "NoSuchEntity", /big cannot be found/);
  });

  test("inline policies: missing ones, the 10,240-byte aggregate, and deleting a role that still has some", async () => {
    await iam.send(
      new CreateRoleCommand({ RoleName: "holder", AssumeRolePolicyDocument: trust({ AWS: ACCOUNT }) }),
    );
    await refused(
      iam.send(new GetRolePolicyCommand({ RoleName: "holder", PolicyName: "none" })),
      "NoSuchEntity",
      /role policy with name none cannot be found/,
    );
    await refused(
      iam.send(new DeleteRolePolicyCommand({ RoleName: "holder", PolicyName: "none" })),
      "NoSuchEntity",
    );
    const policy = (n: number) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"b".repeat(n)}/*` }],
      });
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "holder", PolicyName: "one", PolicyDocument: policy(6000) }),
    );
    // Replacing a policy counts the new text, not old + new.
    await iam.send(
      new PutRolePolicyCommand({ RoleName: "holder", PolicyName: "one", PolicyDocument: policy(6000) }),
    );
    await refused(
      iam.send(
        new PutRolePolicyCommand({ RoleName: "holder", PolicyName: "two", PolicyDocument: policy(6000) }),
      ),
      "LimitExceeded",
      /Maximum policy size of 10240 bytes exceeded for role holder/,
    );
    await refused(
      iam.send(new DeleteRoleCommand({ RoleName: "holder" })),
      "DeleteConflict",
      /delete policies first/,
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: "holder", PolicyName: "one" }));
    await iam.send(new DeleteRoleCommand({ RoleName: "holder" }));
    await refused(iam.send(new GetRoleCommand({ RoleName: "holder" })), "NoSuchEntity");
  });
});
