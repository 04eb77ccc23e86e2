import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { FUZZ_PROPERTIES, type FuzzTarget, fuzzTarget, signedGetCallerIdentity } from "../../support/fuzz.js";
import { tempDir } from "../../support/tmp.js";

/**
 * HTTP fuzzing of `keyless serve --aws-emulator` in process (issue 14, §5): the emulator, the admin API
 * and the token endpoint answer every random request without a 5xx (but the documented 503s), in their
 * protocol's error shape, with no stack trace. A fixed seed keeps the run reproducible (fast-check prints
 * seed and path on failure; FUZZ_SEED / FUZZ_RUNS override); `npm run bench:fuzz` runs many more.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 14);
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);

describe("HTTP fuzz: no 5xx, the protocol's error shape, no stack trace", () => {
  const dir = tempDir();
  let t: FuzzTarget;
  before(async () => {
    t = await fuzzTarget(dir.path);
  });
  after(async () => {
    await t.close();
    dir.cleanup();
  });

  // First: the admin fuzz may cancel the run or revoke keys.
  test("the fuzzer reaches past authentication: a signed request and a real mint succeed", async () => {
    const ok = await t.app.inject({
      method: "GET",
      url: `/runs/${t.runId}/token?api-version=1&audience=sts.amazonaws.com`,
      headers: { authorization: `Bearer ${t.requestToken}` },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const list = await t.app.inject({
      method: "GET",
      url: "/api/v1/organizations",
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    assert.equal(list.statusCode, 200, list.body);
    const signed = await signedGetCallerIdentity(t);
    assert.equal(signed.status, 200, signed.body);
  });
  const options = { seed: SEED, numRuns: RUNS, includeErrorInReport: true };
  test("the emulator (AWS Query protocol)", async () => {
    await fc.assert(FUZZ_PROPERTIES.emulator(t), options);
  });
  test("the token endpoint", async () => {
    await fc.assert(FUZZ_PROPERTIES.token(t), options);
  });
  test("the admin API", async () => {
    await fc.assert(FUZZ_PROPERTIES.admin(t), options);
  });

  test("a path parameter over the router's limit (found by the fuzzer): a 414 problem, not Fastify's JSON", async () => {
    const res = await t.app.inject({
      method: "DELETE",
      url: `/api/v1/organizations/${"x".repeat(300)}`,
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    assert.equal(res.statusCode, 414);
    assert.match(String(res.headers["content-type"]), /^application\/problem\+json/);
    assert.equal(JSON.parse(res.body).status, 414);
  });
});
