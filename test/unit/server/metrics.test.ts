import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify from "fastify";
import type { KeyState, KeyStatus } from "../../../src/issuer/key-lifecycle.js";
import type { SigningKeyRecord } from "../../../src/issuer/model.js";
import { createMetrics, isLoopback, nextRotationAt } from "../../../src/server/metrics.js";
import { instrumentIssuerApp } from "../../../src/server/metrics-http.js";

const DAY = 86_400_000;
const status = (kid: string, state: KeyState, createdAt: number, activateAt: number): KeyStatus => ({
  key: { kid, alg: "ES256", createdAt, activateAt, retiredAt: null } as unknown as SigningKeyRecord,
  state,
  supersededAt: null,
  stoppedSigningAt: null,
  unpublishAt: null,
});

describe("metrics: who may scrape", () => {
  test("loopback peers only, IPv4, IPv6 and IPv4-mapped; anything else and no address are refused", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      assert.equal(isLoopback(a), true, a);
    for (const a of [
      "10.0.0.1",
      "192.168.1.127",
      "::ffff:10.0.0.1",
      "::2",
      "fe80::1",
      "1127.0.0.1",
      undefined,
    ])
      assert.equal(isLoopback(a), false, String(a));
  });

  test("GET /metrics from another address is a 403 problem and shows nothing; from loopback the text format", async () => {
    const app = Fastify();
    const metrics = createMetrics();
    instrumentIssuerApp(app, metrics, false);
    metrics.mint("issued", "acme", "ES256");
    const far = await app.inject({ method: "GET", url: "/metrics", remoteAddress: "203.0.113.9" });
    assert.equal(far.statusCode, 403);
    assert.match(String(far.headers["content-type"]), /^application\/problem\+json/);
    assert.doesNotMatch(far.body, /keyless_token_mints_total/);
    const near = await app.inject({ method: "GET", url: "/metrics", remoteAddress: "127.0.0.1" });
    assert.equal(near.statusCode, 200);
    assert.match(
      near.body,
      /^keyless_token_mints_total\{organization="acme",alg="ES256",outcome="issued"\} 1$/m,
    );
    await app.close();
  });
});

describe("metrics: emulator exchanges", () => {
  test("only AssumeRoleWithWebIdentity and AssumeRole; issued, refused (4xx) and failed (5xx) with the code", async () => {
    const m = createMetrics();
    m.stsOutcome("AssumeRoleWithWebIdentity", undefined, 200);
    m.stsOutcome("AssumeRoleWithWebIdentity", "InvalidIdentityToken", 400);
    m.stsOutcome("AssumeRole", "AccessDenied", 403);
    m.stsOutcome("AssumeRole", "InternalFailure", 500);
    m.stsOutcome("CreateRole", "EntityAlreadyExists", 409);
    m.stsOutcome("AnyNameACallerTypes", "InvalidAction", 400);
    m.stsOutcome(undefined, "MissingAction", 400);
    const text = await m.registry.getSingleMetricAsString("keyless_sts_exchanges_total");
    const lines = text.split("\n").filter((l) => !l.startsWith("#"));
    assert.deepEqual(lines.sort(), [
      'keyless_sts_exchanges_total{action="AssumeRole",outcome="failed",reason="InternalFailure"} 1',
      'keyless_sts_exchanges_total{action="AssumeRole",outcome="refused",reason="AccessDenied"} 1',
      'keyless_sts_exchanges_total{action="AssumeRoleWithWebIdentity",outcome="issued",reason=""} 1',
      'keyless_sts_exchanges_total{action="AssumeRoleWithWebIdentity",outcome="refused",reason="InvalidIdentityToken"} 1',
    ]);
  });
});

describe("metrics: the next rotation", () => {
  test("a pending key's activation comes first; else the active key's creation plus the interval; else none", () => {
    const active = status("a", "active", 10 * DAY, 10 * DAY);
    assert.equal(nextRotationAt([active], 30 * DAY), 40 * DAY);
    assert.equal(nextRotationAt([active], 0), undefined);
    const pending = status("b", "pending", 39 * DAY, 40 * DAY);
    assert.equal(nextRotationAt([active, pending], 30 * DAY), 40 * DAY);
    assert.equal(nextRotationAt([active, pending], 0), 40 * DAY);
    assert.equal(nextRotationAt([status("r", "retiring", 0, 0)], 30 * DAY), undefined);
  });

  test("key gauges come from the watched source at scrape time; retired keys are not listed", async () => {
    const m = createMetrics();
    const now = 50 * DAY;
    m.watchIssuer({
      keyStatuses: async () => [
        status("old", "retired", 0, 0),
        status("prev", "superseded", 10 * DAY, 10 * DAY),
        status("cur", "active", 40 * DAY, 41 * DAY),
      ],
      rotationIntervalMs: 30 * DAY,
      now: () => now,
    });
    const text = await m.registry.metrics();
    assert.match(text, /^keyless_signing_key_age_seconds\{kid="cur",alg="ES256",state="active"\} 864000$/m);
    assert.match(
      text,
      /^keyless_signing_key_age_seconds\{kid="prev",alg="ES256",state="superseded"\} 3456000$/m,
    );
    assert.doesNotMatch(text, /kid="old"/);
    assert.match(text, /^keyless_signing_key_next_rotation_seconds 1728000$/m);
    assert.doesNotMatch(text, /^keyless_database_pool_connections\{/m);
  });
});
