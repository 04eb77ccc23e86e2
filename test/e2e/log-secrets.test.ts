import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runCommand } from "../support/cli.js";
import { isolatedEnv } from "../support/emulator.js";
import { type ServeProcess, seedApplyRunOverHttp } from "../support/serve.js";
import { startServeWithOwnEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

/**
 * No secret of a whole exchange reaches the log (issue 14, item 1.5): `keyless serve --aws-emulator` at
 * info level, a run's token fetched, then sent to STS in the query string (AssumeRoleWithWebIdentity as
 * a GET), the session's credentials used by boto3 for a signed call and for a presigned URL
 * (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token` in the query), and a request token a
 * careless job put in the URL. The log file must show those requests, redacted, and none of the secrets.
 */
const ACCOUNT = "123456789012";
const HOST = "logs.keyless.test";

const BOTO3 = `
import sys, urllib.request, ssl, boto3
base, ca, key, secret, session = sys.argv[1:6]
sts = boto3.client("sts", endpoint_url=base, region_name="us-east-1", verify=ca,
    aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=session)
print(sts.get_caller_identity()["Arn"])
url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=300)
print(url)
try:
    urllib.request.urlopen(url, context=ssl.create_default_context(cafile=ca)).read()
except urllib.error.HTTPError:
    pass  # only what the server logged matters here
`;

describe("secrets in query strings never reach the log", () => {
  const dir = tempDir();
  let server: ServeProcess | undefined;
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test("serve --aws-emulator at info level: a whole exchange, every secret redacted", async () => {
    const started = await startServeWithOwnEmulator(dir.path, HOST, ["--log-level", "info"]);
    server = started.server;
    const { tls, base, adminKey: admin } = started;
    const run = await seedApplyRunOverHttp(base, admin, {
      ca: tls.ca,
      organization: { name: "logs", allowedAudiences: ["sts.amazonaws.com"] },
    });

    const awsEnv = isolatedEnv(join(dir.path, "aws"), {
      AWS_ACCESS_KEY_ID: ACCOUNT,
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_CA_BUNDLE: tls.caFile,
    });
    const aws = (args: string[]) => runCommand("aws", ["--endpoint-url", base, ...args], { env: awsEnv });
    let r = await aws([
      "iam",
      "create-open-id-connect-provider",
      "--url",
      `https://${HOST}`,
      "--client-id-list",
      "sts.amazonaws.com",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const trust = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${HOST}` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com" } },
        },
      ],
    };
    r = await aws([
      "iam",
      "create-role",
      "--role-name",
      "apply",
      "--assume-role-policy-document",
      JSON.stringify(trust),
    ]);
    assert.equal(r.code, 0, r.stderr);

    // The run's token, once as the protocol says (bearer header) and once with the request token also
    // in the query string, as a careless job might send it.
    const curl = (url: string) =>
      runCommand("curl", [
        "-sS",
        "--cacert",
        tls.caFile,
        "-H",
        `Authorization: bearer ${run.requestToken}`,
        url,
      ]);
    const fetched = await curl(`${run.requestUrl}&audience=sts.amazonaws.com`);
    const jwt: string = JSON.parse(fetched.stdout).value;
    assert.match(jwt, /^eyJ/);
    await curl(`${run.requestUrl}&audience=sts.amazonaws.com&token=${encodeURIComponent(run.requestToken)}`);

    // AssumeRoleWithWebIdentity as a GET, the token in the query string.
    const query = new URLSearchParams({
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/apply`,
      RoleSessionName: "apply-run",
      WebIdentityToken: jwt,
    });
    const exchanged = await runCommand("curl", ["-sS", "--cacert", tls.caFile, `${base}/?${query}`]);
    const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(exchanged.stdout)?.[1];
    const [keyId, secret, session] = [field("AccessKeyId"), field("SecretAccessKey"), field("SessionToken")];
    assert.ok(keyId && secret && session, exchanged.stdout);

    // boto3 with the session: a header-signed call, then a presigned URL fetched as is.
    const boto = await runCommand("python3", ["-c", BOTO3, base, tls.caFile, keyId, secret, session], {
      env: isolatedEnv(join(dir.path, "boto3")),
    });
    assert.equal(boto.code, 0, boto.stderr);
    const [arn, presigned] = boto.stdout.trim().split("\n");
    assert.equal(arn, `arn:aws:sts::${ACCOUNT}:assumed-role/apply/apply-run`);
    const signed = new URL(presigned!).searchParams;
    const signature = signed.get("X-Amz-Signature")!;
    const credential = signed.get("X-Amz-Credential")!;
    assert.ok(signature && credential && signed.get("X-Amz-Security-Token") === session);

    await server.stop();
    const logFile = join(dir.path, "serve.log");
    writeFileSync(logFile, server.stderr());
    const log = readFileSync(logFile, "utf8");
    // The requests were logged (so the search below searched something), with their secrets redacted.
    for (const logged of [
      /"url":"\/runs\/[^"]+\/token\?[^"]*&token=\[redacted\]"/,
      /"url":"\/\?[^"]*WebIdentityToken=\[redacted\]/,
      /"url":"\/\?[^"]*X-Amz-Credential=\[redacted\][^"]*X-Amz-Security-Token=\[redacted\][^"]*X-Amz-Signature=\[redacted\]/,
    ]) {
      assert.match(log, logged);
    }
    const secrets: Record<string, string> = {
      "ID token": jwt,
      "ID token signature": jwt.split(".")[2]!,
      "request token": run.requestToken,
      "admin key": admin,
      "secret access key": secret,
      "session token": session,
      "session token, URL-encoded": encodeURIComponent(session),
      "presigned signature": signature,
      "presigned credential": encodeURIComponent(credential),
    };
    for (const [what, value] of Object.entries(secrets)) {
      assert.ok(!log.includes(value), `the ${what} is in the log`);
    }
  });
});
