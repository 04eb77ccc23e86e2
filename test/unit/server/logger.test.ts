import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { isSecretName, REDACTED, redactText, redactUrl } from "../../../src/lib/redact.js";
import { captureLog } from "../../support/log-capture.js";

/** The real logger (pino with keyless's redaction) writing into a string. */
function capture() {
  const { logger, text } = captureLog();
  return { log: logger, text };
}

describe("redaction: one function for every logger", () => {
  test("redactUrl hides secret-bearing query parameters and keeps everything else byte for byte", () => {
    const cases: [string, string][] = [
      ["/runs/r1/token?api-version=1&audience=sts", "/runs/r1/token?api-version=1&audience=sts"],
      ["/runs/r1/token?api-version=1&token=klr_x", `/runs/r1/token?api-version=1&token=${REDACTED}`],
      [
        "/?Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJa.b.c&RoleSessionName=s",
        `/?Action=AssumeRoleWithWebIdentity&WebIdentityToken=${REDACTED}&RoleSessionName=s`,
      ],
      [
        "/?X-Amz-Credential=AKIA%2F2026&X-Amz-Security-Token=FQo&X-Amz-Signature=abc&X-Amz-Date=1",
        `/?X-Amz-Credential=${REDACTED}&X-Amz-Security-Token=${REDACTED}&X-Amz-Signature=${REDACTED}&X-Amz-Date=1`,
      ],
      ["/?X%2DAmz%2DSignature=abc#frag", `/?X%2DAmz%2DSignature=${REDACTED}#frag`],
      [
        "/?SessionToken=a&SecretAccessKey=b&Password=c&client_secret=d&flag",
        `/?SessionToken=${REDACTED}&SecretAccessKey=${REDACTED}&Password=${REDACTED}&client_secret=${REDACTED}&flag`,
      ],
      ["/?%E0%A4%A=1", "/?%E0%A4%A=1"],
      ["https://h/p", "https://h/p"],
    ];
    for (const [url, expected] of cases) assert.equal(redactUrl(url), expected, url);
  });

  test("isSecretName knows the field's names, and not the harmless ones", () => {
    for (const name of [
      "WebIdentityToken",
      "x-amz-security-token",
      "SAMLAssertion",
      "requestToken",
      "kek",
      "code",
    ])
      assert.ok(isSecretName(name), name);
    for (const name of ["Action", "RoleArn", "audience", "api-version", "X-Amz-Date", "DurationSeconds"])
      assert.ok(!isSecretName(name), name);
  });

  test("redactText hides JWTs and secret name=value pairs in messages", () => {
    assert.equal(
      redactText("bad request /?WebIdentityToken=abc&Action=x with eyJhbGciOi.eyJzdWIi.c2ln"),
      `bad request /?WebIdentityToken=${REDACTED}&Action=x with ${REDACTED}`,
    );
  });

  test("nested secrets go through the real logger redacted, one level down as at the top", () => {
    const { log, text } = capture();
    log.info(
      {
        run: { token: "jwt-nested", requestToken: "klr_nested" },
        apiKey: { secret: "klk_nested" },
        credentials: { secretAccessKey: "sak_nested", sessionToken: "st_nested" },
        signing: { kek: "kek_nested" },
        user: { password: "pw_nested" },
        token: "jwt-top",
        req: { url: "/x?WebIdentityToken=wit_url&a=1", headers: { authorization: "Bearer hdr_nested" } },
      },
      "nested",
    );
    const out = text();
    for (const secret of [
      "jwt-nested",
      "klr_nested",
      "klk_nested",
      "sak_nested",
      "st_nested",
      "kek_nested",
      "pw_nested",
      "jwt-top",
      "wit_url",
      "hdr_nested",
    ])
      assert.ok(!out.includes(secret), `${secret} in ${out}`);
    assert.match(out, /"url":"\/x\?WebIdentityToken=\[redacted\]&a=1"/);
    assert.match(out, /"run":\{"token":"\[redacted\]","requestToken":"\[redacted\]"\}/);
  });

  test("errors are logged with their message redacted", () => {
    const { log, text } = capture();
    log.error({ err: new Error("cannot read /?X-Amz-Signature=sig_err") }, "failed");
    assert.ok(!text().includes("sig_err"), text());
    assert.match(text(), /X-Amz-Signature=\[redacted\]/);
  });

  test("Fastify's request log (the issuer's and the mounted emulator's) shows the URL redacted", async () => {
    const { log, text } = capture();
    const app = Fastify({ loggerInstance: log as FastifyBaseLogger });
    app.get("/", async () => "ok");
    await app.inject({
      method: "GET",
      url: "/?Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJ.fastify.sig",
    });
    await app.close();
    assert.match(text(), /"msg":"incoming request"/);
    assert.match(text(), /"url":"\/\?Action=AssumeRoleWithWebIdentity&WebIdentityToken=\[redacted\]"/);
    assert.ok(!text().includes("fastify.sig"), text());
  });
});
