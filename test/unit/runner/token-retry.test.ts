import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KeylessError } from "../../../src/lib/errors.js";
import { requestToken, type SourceEnvironment } from "../../../src/runner/token-sources.js";

type Answer = { status: number; body: string; headers?: Record<string, string> } | { error: string };

/** A token endpoint answering `answers` in turn (the last one again after that), counting requests. */
function endpoint(answers: Answer[], env: NodeJS.ProcessEnv = {}) {
  let requests = 0;
  const sys: SourceEnvironment = {
    env,
    readFile: () => "",
    fileExists: () => false,
    run: async () => "",
    get: async () => {
      const answer = answers[Math.min(requests++, answers.length - 1)]!;
      if ("error" in answer) throw new Error(answer.error);
      return answer;
    },
  };
  return { sys, requests: () => requests };
}

const ok: Answer = { status: 200, body: JSON.stringify({ value: "a.b.c" }) };
const unavailable: Answer = { status: 503, body: '{"detail":"the database cannot be reached for now"}' };
const fetchToken = (sys: SourceEnvironment) =>
  requestToken(
    sys,
    "https://issuer.example/runs/1/token?api-version=1",
    "klr_x",
    "sts.amazonaws.com",
    "keyless",
  );

/** The error `promise` rejects with, for its code and exit class. */
async function failure(promise: Promise<unknown>): Promise<KeylessError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KeylessError, String(error));
    return error;
  }
  assert.fail("expected a failure");
}

describe("a token request retried by the AWS SDK's standard strategy", () => {
  test("5xx and network errors are retried, and a later answer is the token", async () => {
    const e = endpoint([unavailable, { error: "ECONNRESET" }, ok]);
    assert.equal(await fetchToken(e.sys), "a.b.c");
    assert.equal(e.requests(), 3);
  });

  test("AWS_MAX_ATTEMPTS bounds the attempts; then a failure outside keyless (exit 3) naming them", async () => {
    const e = endpoint([unavailable], { AWS_MAX_ATTEMPTS: "3" });
    const error = await failure(fetchToken(e.sys));
    assert.equal(e.requests(), 3);
    assert.equal(error.exitClass, "outside");
    assert.match(error.message, /HTTP 503: the database cannot be reached for now\) \(after 3 attempts\)/);
  });

  test("an issuer that cannot be reached: exit 3 after the attempts, with the cause", async () => {
    const e = endpoint([{ error: "connect ECONNREFUSED 127.0.0.1:1" }], { AWS_MAX_ATTEMPTS: "2" });
    const error = await failure(fetchToken(e.sys));
    assert.equal(e.requests(), 2);
    assert.equal(error.exitClass, "outside");
    assert.match(
      error.message,
      /cannot reach https:\/\/issuer\.example: connect ECONNREFUSED .* \(after 2 attempts\)/,
    );
  });

  test("429 is throttling: retried (Retry-After read), then exit 3", async () => {
    const throttled: Answer = { status: 429, body: "{}", headers: { "retry-after": "0" } };
    const again = endpoint([throttled, ok], { AWS_MAX_ATTEMPTS: "2" });
    assert.equal(await fetchToken(again.sys), "a.b.c");
    assert.equal(again.requests(), 2);
    const spent = endpoint([throttled], { AWS_MAX_ATTEMPTS: "1" });
    assert.equal((await failure(fetchToken(spent.sys))).exitClass, "outside");
    assert.equal(spent.requests(), 1);
  });

  test("a refusal (401, 404) is the job's mistake: not retried, exit 2", async () => {
    const e = endpoint([{ status: 401, body: '{"detail":"the request token is not valid for this URL"}' }]);
    const error = await failure(fetchToken(e.sys));
    assert.equal(e.requests(), 1);
    assert.equal(error.exitClass, "input");
    assert.match(error.message, /refused \(HTTP 401: the request token is not valid for this URL\)/);
  });
});
