import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  GetOpenIDConnectProviderCommand,
  GetUserCommand,
  IAMClient,
  ListOpenIDConnectProviderTagsCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagOpenIDConnectProviderCommand,
  TagRoleCommand,
  UntagOpenIDConnectProviderCommand,
  UntagRoleCommand,
  UpdateRoleCommand,
  UpdateRoleDescriptionCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import {
  type InProcessEmulator,
  refused,
  startInProcessEmulator,
} from "../../support/in-process-emulator.js";
import { tempDir } from "../../support/tmp.js";

/**
 * IAM's input validation (src/aws/iam/validation.ts) and the wire handlers' own error paths
 * (src/aws/iam/handlers.ts: paging, GetUser), seen through the AWS SDK for JavaScript v3 against the
 * in-process emulator. Written for the branches `npm run coverage` left uncovered. Codes and messages:
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html.
 */
const ACCOUNT = "123456789012";
const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:AssumeRole" }],
});
const tags = (n: number, prefix = "k") =>
  Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: "v" }));

describe("IAM input validation and handler errors (AWS SDK v3, in-process emulator)", () => {
  const dir = tempDir();
  let stack: InProcessEmulator;
  let endpoint: string;
  let iam: IAMClient;

  before(async () => {
    stack = await startInProcessEmulator(dir.path);
    endpoint = stack.endpoint;
    iam = stack.iam(ACCOUNT);
    for (const name of ["alpha", "bravo", "charlie"]) {
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
    }
  });
  after(async () => {
    await stack?.close();
    dir.cleanup();
  });

  test("provider URLs: https only, no query, fragment or user info, not empty; kept as written", async () => {
    for (const url of [
      "http://token.example.com",
      "https://token.example.com?x=1",
      "https://token.example.com/#frag",
      "https://user:pw@token.example.com",
      "https://",
      "not a url",
    ]) {
      await refused(
        iam.send(new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ["a"] })),
        "InvalidInput",
        /must begin with https:\/\//,
      );
    }
    const url = "https://Token.Example.com:8443/Path/";
    const created = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ["a"] }));
    // Case, port and trailing slash are kept: another spelling is another provider.
    assert.equal(
      created.OpenIDConnectProviderArn,
      `arn:aws:iam::${ACCOUNT}:oidc-provider/Token.Example.com:8443/Path/`,
    );
    const got = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: created.OpenIDConnectProviderArn }),
    );
    assert.equal(got.Url, "Token.Example.com:8443/Path/");
  });

  test("tags: key and value limits, case-insensitive duplicates, 50 per entity, merge keeps the new spelling", async () => {
    await refused(
      iam.send(new TagRoleCommand({ RoleName: "alpha", Tags: [{ Key: "k".repeat(129), Value: "v" }] })),
      "ValidationError",
      /tags\.1\.member\.key.*length less than or equal to 128/,
    );
    await refused(
      iam.send(new TagRoleCommand({ RoleName: "alpha", Tags: [{ Key: "ok", Value: "v".repeat(257) }] })),
      "ValidationError",
      /tags\.1\.member\.value.*length less than or equal to 256/,
    );
    await refused(
      iam.send(new TagRoleCommand({ RoleName: "alpha", Tags: [{ Key: "bad{key}", Value: "v" }] })),
      "ValidationError",
      /tags\.1\.member\.key.*pattern/,
    );
    await refused(
      iam.send(
        new TagRoleCommand({
          RoleName: "alpha",
          Tags: [
            { Key: "Team", Value: "a" },
            { Key: "team", Value: "b" },
          ],
        }),
      ),
      "InvalidInput",
      /Duplicate tag keys found/,
    );
    await refused(
      iam.send(new TagRoleCommand({ RoleName: "alpha", Tags: tags(51) })),
      "ValidationError",
      /tags.*less than or equal to 50/,
    );
    // An empty value is allowed (length 0..256).
    await iam.send(new TagRoleCommand({ RoleName: "alpha", Tags: [{ Key: "Team", Value: "" }] }));
    await iam.send(new TagRoleCommand({ RoleName: "alpha", Tags: [{ Key: "TEAM", Value: "platform" }] }));
    const listed = await iam.send(new ListRoleTagsCommand({ RoleName: "alpha" }));
    assert.deepEqual(listed.Tags, [{ Key: "TEAM", Value: "platform" }]);
    // 49 more make 50: allowed; one more over the quota is LimitExceeded, and nothing is written.
    await iam.send(new TagRoleCommand({ RoleName: "alpha", Tags: tags(49) }));
    await refused(
      iam.send(new TagRoleCommand({ RoleName: "alpha", Tags: [{ Key: "one-more", Value: "v" }] })),
      "LimitExceeded",
      /maximum limit/,
    );
    assert.equal((await iam.send(new ListRoleTagsCommand({ RoleName: "alpha" }))).Tags?.length, 50);
    // Untagging is case-insensitive too, and more than 50 keys is refused.
    await iam.send(
      new UntagRoleCommand({ RoleName: "alpha", TagKeys: ["team", ...tags(49).map((t) => t.Key)] }),
    );
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: "alpha" }))).Tags, []);
    await refused(
      iam.send(new UntagRoleCommand({ RoleName: "alpha", TagKeys: tags(51).map((t) => t.Key) })),
      "ValidationError",
      /tagKeys.*less than or equal to 50/,
    );
  });

  test("provider tags come back sorted by key and page with MaxItems and Marker", async () => {
    const arn = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: "https://tags.example.com", ClientIDList: ["a"] }),
      )
    ).OpenIDConnectProviderArn;
    await iam.send(
      new TagOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: arn,
        Tags: [
          { Key: "b", Value: "2" },
          { Key: "c", Value: "3" },
          { Key: "a", Value: "1" },
        ],
      }),
    );
    const all = await iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }));
    assert.deepEqual(
      all.Tags?.map((t) => t.Key),
      ["a", "b", "c"],
    );
    assert.equal(all.IsTruncated, false);
    await iam.send(new UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, TagKeys: ["B"] }));
    const left = await iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }));
    assert.deepEqual(
      left.Tags?.map((t) => t.Key),
      ["a", "c"],
    );
  });

  test("paging: MaxItems 1..1000, a Marker resumes where the last page stopped, a bad Marker is refused", async () => {
    await refused(
      iam.send(new ListRolesCommand({ MaxItems: 0 })),
      "ValidationError",
      /greater than or equal to 1/,
    );
    await refused(
      iam.send(new ListRolesCommand({ MaxItems: 1001 })),
      "ValidationError",
      /less than or equal to 1000/,
    );
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await iam.send(
        new ListRolesCommand({ MaxItems: 2, ...(marker ? { Marker: marker } : {}) }),
      );
      pages++;
      names.push(...(page.Roles ?? []).map((r) => r.RoleName ?? ""));
      assert.equal(page.IsTruncated, page.Marker !== undefined);
      marker = page.Marker;
    } while (marker !== undefined);
    assert.deepEqual(names, ["alpha", "bravo", "charlie"]);
    assert.equal(pages, 2);
    const exact = await iam.send(new ListRolesCommand({ MaxItems: 3 }));
    assert.equal(exact.IsTruncated, false);
    assert.equal(exact.Marker, undefined);
    for (const bad of [Buffer.from("-1").toString("base64url"), Buffer.from("x").toString("base64url")]) {
      await refused(iam.send(new ListRolesCommand({ Marker: bad })), "ValidationError", /Invalid Marker/);
    }
    const past = await iam.send(new ListRolesCommand({ Marker: Buffer.from("10").toString("base64url") }));
    assert.deepEqual(past.Roles, []);
  });

  test("UpdateRole and UpdateRoleDescription change what GetRole-like answers show", async () => {
    const updated = await iam.send(
      new UpdateRoleDescriptionCommand({ RoleName: "bravo", Description: "deploys" }),
    );
    assert.equal(updated.Role?.Description, "deploys");
    assert.equal(updated.Role?.RoleName, "bravo");
    await iam.send(new UpdateRoleCommand({ RoleName: "bravo", MaxSessionDuration: 7200 }));
    const listed = await iam.send(new ListRolesCommand({}));
    const bravo = listed.Roles?.find((r) => r.RoleName === "bravo");
    assert.equal(bravo?.MaxSessionDuration, 7200);
    assert.equal(bravo?.Description, "deploys");
    await refused(
      iam.send(new UpdateRoleCommand({ RoleName: "bravo", MaxSessionDuration: 43201 })),
      "ValidationError",
    );
  });

  test("GetUser: root answers with the root user, a named user does not exist, a role session is refused", async () => {
    const root = await iam.send(new GetUserCommand({}));
    assert.equal(root.User?.Arn, `arn:aws:iam::${ACCOUNT}:root`);
    assert.equal(root.User?.UserId, ACCOUNT);
    await refused(
      iam.send(new GetUserCommand({ UserName: "alice" })),
      "NoSuchEntity",
      /alice cannot be found/,
    );
    const sts = new STSClient({
      endpoint,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: "test" },
    });
    const session = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/charlie`, RoleSessionName: "probe" }),
    );
    sts.destroy();
    const c = session.Credentials!;
    const asRole = new IAMClient({
      endpoint,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      },
    });
    try {
      // Authorization comes first: a session whose role allows nothing is refused as AWS refuses it.
      await refused(
        asRole.send(new GetUserCommand({})),
        "AccessDenied",
        /assumed-role\/charlie\/probe is not authorized to perform: iam:GetUser because no identity-based policy allows/,
      );
      // Allowed, a role session still has no user of its own: IAM's ValidationError for non-user callers.
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: "charlie",
          PolicyName: "get-user",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "*" }],
          }),
        }),
      );
      await refused(asRole.send(new GetUserCommand({})), "ValidationError", /non-User credentials/);
    } finally {
      asRole.destroy();
    }
  });
});
