import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildIssuerApp } from "../../../src/server/issuer-app.js";
import { testIssuer } from "../../support/issuer.js";
import { captureLog } from "../../support/log-capture.js";

/**
 * The issuer's request log is one line per request (server/request-log.ts), written through the real
 * logger: method, redacted URL, status, response time and request id on that one line, nothing at the
 * request's arrival, and a secret-bearing query parameter still redacted.
 */

describe("the issuer's request log", () => {
  test("one line per request, with method, redacted URL, status, response time and request id", async () => {
    const issuer = await testIssuer();
    const { logger, lines } = captureLog();
    const app = await buildIssuerApp({ service: issuer.service, logger });
    const run = "00000000-0000-4000-8000-000000000000";
    const first = await app.inject({
      method: "GET",
      url: `/runs/${run}/token?api-version=1&audience=sts.amazonaws.com&token=klr_in_the_query`,
      headers: { authorization: "Bearer klr_in_the_header" },
    });
    assert.equal(first.statusCode, 401);
    const second = await app.inject({ method: "GET", url: "/.well-known/openid-configuration" });
    assert.equal(second.statusCode, 200);
    await app.close();
    await issuer.close();

    const requestLines = lines.filter((l) => l.req !== undefined || l.res !== undefined);
    assert.equal(requestLines.length, 2, JSON.stringify(lines));
    assert.ok(!lines.some((l) => l.msg === "incoming request"), JSON.stringify(lines));
    const [a, b] = requestLines as Record<string, Record<string, unknown>>[];
    assert.equal(a!.msg, "request completed");
    assert.equal(a!.req!.method, "GET");
    assert.equal(a!.req!.url, `/runs/${run}/token?api-version=1&audience=sts.amazonaws.com&token=[redacted]`);
    assert.deepEqual(a!.res, { statusCode: 401 });
    assert.equal(typeof a!.responseTime, "number");
    assert.equal(typeof a!.reqId, "string");
    assert.deepEqual(b!.res, { statusCode: 200 });
    assert.equal(b!.req!.url, "/.well-known/openid-configuration");
    assert.notEqual(a!.reqId, b!.reqId);
    const text = JSON.stringify(lines);
    assert.ok(!text.includes("klr_in_the_query") && !text.includes("klr_in_the_header"), text);
  });
});
