import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createEmulator } from "../../../src/aws/emulator.js";
import { cryptoIds } from "../../../src/lib/ids.js";
import { buildIssuerApp } from "../../../src/server/issuer-app.js";
import { logEmulatorInternalError, mountEmulator } from "../../../src/server/mount-emulator.js";
import { testIssuer } from "../../support/issuer.js";
import { captureLog } from "../../support/log-capture.js";
import { tempDir } from "../../support/tmp.js";

/**
 * Every internal error is logged server-side with the request's id and never sent to the client (issue
 * 14, item 1.4: under `serve --aws-emulator` the emulator's were not logged at all), through the real
 * logger: the issuer's routes and the emulator mounted beside them.
 */

describe("internal errors: logged with the request id, never sent", () => {
  const dir = tempDir();
  after(() => dir.cleanup());

  test("the issuer: a failing route answers a generic 500 problem; the log has the cause and reqId", async () => {
    const issuer = await testIssuer();
    const { logger, lines } = captureLog();
    const app = await buildIssuerApp({ service: issuer.service, logger });
    issuer.service.signingKeys.jwks = async () => {
      throw new Error("boom: relation signing_keys is gone; password=hunter2");
    };
    const res = await app.inject({ method: "GET", url: "/.well-known/jwks" });
    assert.equal(res.statusCode, 500);
    assert.doesNotMatch(res.body, /boom|signing_keys|hunter2/);
    assert.match(res.body, /see the server log/);
    const logged = lines.find((l) => l.level === 50);
    assert.ok(logged, JSON.stringify(lines));
    const err = logged.err as { message: string; stack: string };
    assert.match(err.message, /^boom: relation signing_keys is gone; password=\[redacted\]$/);
    assert.ok(!JSON.stringify(logged).includes("hunter2"));
    assert.equal(typeof logged.reqId, "string");
    // The request's own line (one per request: server/request-log.ts) carries the same reqId.
    assert.ok(lines.some((l) => l.msg === "request completed" && l.reqId === logged.reqId));
    await app.close();
    await issuer.close();
  });

  test("the emulator under serve --aws-emulator: InternalFailure to the client, the cause in the log", async () => {
    const issuer = await testIssuer();
    const { logger, lines } = captureLog();
    const app = await buildIssuerApp({ service: issuer.service, logger });
    const emulator = await createEmulator({
      dataDir: dir.path,
      clock: issuer.clock,
      ids: cryptoIds,
      onInternalError: logEmulatorInternalError(logger),
    });
    await mountEmulator(app, emulator);
    // A store that went away under the emulator: its next lookup fails with a driver error, not an AwsError.
    await emulator.close();
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const token = `${b64({ alg: "RS256", kid: "k" })}.${b64({ iss: "https://idp.example.com", sub: "s", aud: "a", iat: 1, exp: 2 })}.c2ln`;
    const res = await app.inject({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({
        Action: "AssumeRoleWithWebIdentity",
        Version: "2011-06-15",
        RoleArn: "arn:aws:iam::123456789012:role/r",
        RoleSessionName: "s1",
        WebIdentityToken: token,
      }).toString(),
    });
    assert.equal(res.statusCode, 500);
    assert.match(res.body, /<Code>InternalFailure<\/Code>/);
    const requestId = res.headers["x-amzn-requestid"];
    assert.ok(typeof requestId === "string" && requestId.length > 0);
    const logged = lines.find((l) => l.msg === "AWS emulator internal error");
    assert.ok(logged, JSON.stringify(lines));
    assert.equal(logged.requestId, requestId);
    const message = (logged.err as { message: string }).message;
    assert.ok(message.length > 0 && !res.body.includes(message), `${message} must stay out of ${res.body}`);
    assert.ok(!JSON.stringify(lines).includes(token), "the token is not logged");
    await app.close();
    await issuer.close();
  });
});
