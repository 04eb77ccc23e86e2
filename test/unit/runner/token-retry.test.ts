import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { retryDelayMs } from "../../../src/runner/token-sources.js";

describe("the wait before a token request's next attempt", () => {
  const now = Date.parse("2026-11-30T08:00:00Z");
  test("Retry-After in seconds or as an HTTP date, capped at 20 s, never negative", () => {
    assert.equal(
      retryDelayMs(1, { status: 503, headers: { "retry-after": "3" } }, () => 0.5, now),
      3000,
    );
    assert.equal(
      retryDelayMs(1, { status: 429, headers: { "retry-after": "3600" } }, () => 0.5, now),
      20_000,
    );
    const inFive = new Date(now + 5000).toUTCString();
    assert.equal(
      retryDelayMs(1, { status: 503, headers: { "retry-after": inFive } }, () => 0.5, now),
      5000,
    );
    const past = new Date(now - 5000).toUTCString();
    assert.equal(
      retryDelayMs(1, { status: 503, headers: { "retry-after": past } }, () => 0.5, now),
      0,
    );
  });

  test("without Retry-After: full jitter on 2^attempt × 100 ms (500 ms when throttled), capped at 20 s", () => {
    assert.equal(
      retryDelayMs(1, { status: 503 }, () => 0.5, now),
      100,
    );
    assert.equal(
      retryDelayMs(3, { status: 503 }, () => 0.5, now),
      400,
    );
    assert.equal(
      retryDelayMs(2, { status: 429 }, () => 0.5, now),
      1000,
    );
    assert.equal(
      retryDelayMs(20, undefined, () => 0.999, now),
      19_980,
    );
    assert.equal(
      retryDelayMs(1, { status: 503, headers: { "retry-after": "soon" } }, () => 0, now),
      0,
    );
  });
});
