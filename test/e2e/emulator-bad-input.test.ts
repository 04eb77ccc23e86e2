import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { awsAdmin, type RunningEmulator } from "../support/emulator.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { startTestIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

/** Bad input never yields a 500 or a hang: every answer is a well-formed AWS error envelope. */
describe("bad input to a real emulator process", () => {
  const dir = tempDir();
  let emulator: RunningEmulator;
  let issuer: TestIssuer;
  before(async () => {
    ({ issuer, emulator } = await startTestIssuerWithEmulator(dir.path));
  });
  after(async () => {
    await emulator?.stop();
    await issuer?.close();
    dir.cleanup();
  });

  const post = async (body: string | Buffer, contentType = "application/x-www-form-urlencoded") => {
    const r = await fetch(emulator.endpoint, {
      method: "POST",
      body,
      headers: { "content-type": contentType },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await r.text();
    return { status: r.status, text, requestId: r.headers.get("x-amzn-requestid") };
  };
  const awwi = (token: string, extra = "") =>
    post(
      `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx&RoleSessionName=s1&WebIdentityToken=${encodeURIComponent(token)}${extra}`,
    );
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

  test("malformed bodies, unknown actions, huge and unicode parameter lists", async () => {
    const cases: (string | Buffer)[] = [
      "",
      "%%%%&&&===",
      "Action=AssumeRole",
      "Action=Nope&Version=2011-06-15",
      "Action=GetRole&Version=2010-05-08",
      Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      `Action=GetCallerIdentity&Version=2011-06-15&${Array.from({ length: 20000 }, (_, i) => `ClientIDList.member.${i + 1}=x`).join("&")}`,
      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%F0%9F%92%A9%E2%80%AE&RoleSessionName=%00%01&WebIdentityToken=%ED%A0%80",
      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&DurationSeconds=1e309",
    ];
    for (const body of cases) {
      const r = await post(body);
      assert.ok(r.status >= 400 && r.status < 500, `${r.status} for ${String(body).slice(0, 60)}: ${r.text}`);
      assert.match(
        r.text,
        /^<ErrorResponse xmlns="https:\/\/(sts|iam)\.amazonaws\.com\/doc\/[\d-]+\/"><Error><Type>Sender<\/Type><Code>\w+<\/Code>/,
      );
      assert.ok(r.text.includes(`<RequestId>${r.requestId}</RequestId>`));
    }
    const big = await post(`Action=GetCallerIdentity&Version=2011-06-15&X=${"a".repeat(2 * 1024 * 1024)}`);
    assert.equal(big.status, 413);
  });

  test("oversized, non-JWT, alg none / HS256 / unknown kid tokens", async () => {
    const none = `${b64({ alg: "none" })}.${b64({ iss: issuer.issuer, sub: "s", aud: "a", iat: 1, exp: 2 })}.`;
    const hs = `${b64({ alg: "HS256", kid: "rsa-1" })}.${b64({ iss: issuer.issuer, sub: "s", aud: "a", iat: 1, exp: 2 })}.c2ln`;
    for (const token of [
      "x".repeat(20001),
      "not.a.jwt",
      "abc",
      none,
      hs,
      await issuer.sign({ sub: "s", aud: "a" }, { kid: "nope" }),
      "ey.ey.ey",
    ]) {
      const r = await awwi(token);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /<Code>(ValidationError|InvalidIdentityToken)<\/Code>/);
    }
  });

  test("a deeply nested trust policy (9.6 KB, 4,800 levels) is MalformedPolicyDocument through the AWS CLI", async () => {
    const policy = `{"Version":"2012-10-17","Statement":${"[".repeat(4800)}${"]".repeat(4800)}}`;
    const r = await awsAdmin(emulator.endpoint, dir.path)("123456789012", [
      "iam",
      "create-role",
      "--role-name",
      "deep",
      "--assume-role-policy-document",
      policy,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /\(MalformedPolicyDocument\) when calling the CreateRole operation: This policy contains invalid Json/,
    );
  });
});
