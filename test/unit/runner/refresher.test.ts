import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manualClock } from "../../../src/lib/clock.js";
import { startCredentialEndpoint } from "../../../src/runner/credential-endpoint.js";
import type { AwsCredentials } from "../../../src/runner/credentials.js";
import { CredentialRefresher } from "../../../src/runner/refresher.js";

function issuing(clock: () => number, lifetimeMs: number) {
  let n = 0;
  return {
    count: () => n,
    obtain: async (): Promise<AwsCredentials> => {
      n++;
      return {
        accessKeyId: `ASIA${n}`,
        secretAccessKey: "s",
        sessionToken: "t",
        expiration: clock() + lifetimeMs,
      };
    },
  };
}

describe("credential refresher", () => {
  test("serves the same credentials until half the session (at most 20 minutes) is left, then fresh ones", async () => {
    const clock = manualClock(Date.parse("2026-11-22T10:00:00Z"));
    const source = issuing(clock, 60 * 60_000);
    const refresher = new CredentialRefresher(source.obtain, clock);
    await refresher.start();
    refresher.stop();
    assert.equal((await refresher.get()).accessKeyId, "ASIA1");
    clock.advance(39 * 60_000);
    assert.equal((await refresher.get()).accessKeyId, "ASIA1");
    clock.advance(2 * 60_000); // 19 minutes left: due; the next get starts a refresh in the background
    await refresher.get();
    await new Promise((r) => setImmediate(r));
    assert.equal((await refresher.get()).accessKeyId, "ASIA2");
  });

  test("short sessions refresh at half their lifetime; expired credentials are never served", async () => {
    const clock = manualClock(0);
    const source = issuing(clock, 60_000);
    const refresher = new CredentialRefresher(source.obtain, clock);
    await refresher.start();
    refresher.stop();
    assert.equal(refresher.refreshAt(), 30_000);
    clock.advance(61_000);
    assert.equal(
      (await refresher.get()).accessKeyId,
      "ASIA2",
      "an expired set is replaced before it is handed out",
    );
  });

  test("a failed refresh keeps the last good credentials while they are valid", async () => {
    const clock = manualClock(0);
    let fail = false;
    const refresher = new CredentialRefresher(async () => {
      if (fail) throw new Error("IDP down");
      return { accessKeyId: "ASIAOK", secretAccessKey: "s", sessionToken: "t", expiration: clock() + 60_000 };
    }, clock);
    await refresher.start();
    refresher.stop();
    fail = true;
    clock.advance(40_000);
    assert.equal((await refresher.get()).accessKeyId, "ASIAOK");
    clock.advance(25_000);
    await assert.rejects(refresher.get(), /IDP down/);
  });
});

describe("loopback credential endpoint", () => {
  test("answers the container-credentials shape to the bearer token only, on 127.0.0.1", async () => {
    const endpoint = await startCredentialEndpoint(async () => ({
      accessKeyId: "ASIAX",
      secretAccessKey: "secret",
      sessionToken: "token",
      expiration: Date.parse("2026-11-22T11:00:00Z"),
    }));
    try {
      assert.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+\/credentials\/[0-9a-f]{32}$/);
      const ok = await fetch(endpoint.url, { headers: { authorization: endpoint.authorization } });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), {
        AccessKeyId: "ASIAX",
        SecretAccessKey: "secret",
        Token: "token",
        Expiration: "2026-11-22T11:00:00Z",
      });
      assert.equal((await fetch(endpoint.url)).status, 403);
      assert.equal((await fetch(endpoint.url, { headers: { authorization: "wrong" } })).status, 403);
      assert.equal(
        (
          await fetch(endpoint.url.replace(/[0-9a-f]{32}$/, "0".repeat(32)), {
            headers: { authorization: endpoint.authorization },
          })
        ).status,
        404,
      );
    } finally {
      await endpoint.close();
    }
  });
});
