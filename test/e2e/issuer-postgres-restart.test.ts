import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setTimeout as pause } from "node:timers/promises";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import type { Json } from "../support/issuer.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { type ServeProcess, seedApplyRunOverHttp, startServesOnOneDatabase } from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

/**
 * Two `keyless serve` processes on one PostgreSQL (the first with `--aws-emulator`), through
 * `pg_ctl restart` while idle and while a bounded loop mints, and through a stop and start: no process
 * exits; a request that needs the database succeeds or gets 503 `database-unavailable` with
 * `Retry-After`; discovery and JWKS stay 200; `/readyz` is 503 while the database is down and 200 after;
 * minting works again without restarting anything. Loops are bounded by counts; no assertion is timed.
 */
describe("a PostgreSQL restart under two keyless serve processes", () => {
  const dir = tempDir();
  let pg: TestPostgres | undefined;
  const servers: ServeProcess[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    pg?.stop();
    dir.cleanup();
  });

  test("no server exits; refusals are 503 + Retry-After; JWKS stays up; minting recovers", async (t) => {
    pg = await startPostgres();
    if (!pg) return t.skip("PostgreSQL binaries are not installed");
    const db = pg;
    const common = {
      PATH: process.env.PATH,
      HOME: dir.path,
      KEYLESS_DATABASE: db.url,
      KEYLESS_KEK: Buffer.alloc(32, 7).toString("base64"),
    };
    const { bases, admin } = await startServesOnOneDatabase(
      dir.path,
      common,
      { a: ["--log-level", "error", "--aws-emulator"], b: ["--log-level", "error"] },
      servers,
    );
    const exited: string[] = [];
    servers.forEach((s, i) => {
      s.child.once("exit", (code, signal) =>
        exited.push(`server ${i} exited (${code ?? signal}): ${s.stderr()}`),
      );
    });
    const call = async (base: string, method: string, path: string, key?: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body ? { "content-type": "application/json" } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, json: (await r.json()) as Json, headers: r.headers };
    };
    const b0 = bases[0]!;
    const { tokenPath, ...run } = await seedApplyRunOverHttp(b0, admin);
    const mint = (base: string) => call(base, "GET", tokenPath, run.requestToken);

    /** A mint's answer during an outage: a token, or the outage problem with Retry-After; never 500. */
    const outcomes = { ok: 0, unavailable: 0 };
    const acceptable = (r: Awaited<ReturnType<typeof call>>, what: string) => {
      if (r.status === 200) {
        assert.equal(typeof r.json.value, "string", what);
        outcomes.ok++;
        return;
      }
      assert.equal(r.status, 503, `${what}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.type, "https://keyless.dev/problems/database-unavailable", what);
      assert.match(r.headers.get("retry-after") ?? "", /^\d+$/, what);
      assert.match(r.headers.get("content-type") ?? "", /^application\/problem\+json/, what);
      outcomes.unavailable++;
    };
    /** Mints again on every server, polling with a bounded loop (no deadline). */
    const recovered = async (what: string) => {
      for (const base of bases) {
        let last: Awaited<ReturnType<typeof call>> | undefined;
        for (let i = 0; i < 400; i++) {
          last = await mint(base);
          acceptable(last, `${what}, ${base}`);
          if (last.status === 200) break;
          await pause(50);
        }
        assert.equal(last?.status, 200, `${what}: ${base} mints again`);
        assert.equal((await call(base, "GET", "/readyz")).status, 200, `${what}: ${base} ready again`);
      }
    };
    const wellKnownUp = async (what: string) => {
      for (const base of bases) {
        const jwks = await call(base, "GET", "/.well-known/jwks");
        assert.equal(jwks.status, 200, `${what}: JWKS of ${base}`);
        assert.ok(jwks.json.keys.length >= 1, `${what}: JWKS of ${base} has keys`);
        const discovery = await call(base, "GET", "/.well-known/openid-configuration");
        assert.equal(discovery.status, 200, `${what}: discovery of ${base}`);
      }
    };

    for (const base of bases) {
      assert.equal((await mint(base)).status, 200);
      assert.deepEqual((await call(base, "GET", "/healthz")).json, { status: "up" });
      const ready = await call(base, "GET", "/readyz");
      assert.equal(ready.status, 200);
      assert.equal(ready.json.status, "ready");
    }

    // 1. Restart while idle: every pooled connection is terminated (57P01) with no query on it.
    await db.restart();
    await wellKnownUp("after an idle restart");
    await recovered("after an idle restart");
    assert.deepEqual(exited, []);

    // 2. Restart under load: a bounded loop mints on both servers while pg_ctl restarts the database.
    let restarting = true;
    const restart = db.restart().finally(() => {
      restarting = false;
    });
    let n = 0;
    try {
      for (; n < 5000 && restarting; n++) {
        const base = bases[n % 2]!;
        acceptable(await mint(base), `mint ${n} during the restart`);
        if (n % 10 === 0) await wellKnownUp(`during the restart (${n})`);
      }
    } finally {
      // Settled before anything else happens, even when an assertion above failed.
      await restart.catch(() => {});
    }
    await restart;
    assert.ok(n < 5000, "pg_ctl restart finished within the loop");
    await recovered("after a restart under load");
    assert.deepEqual(exited, []);

    // 3. Down for a while: deterministic refusals, readiness follows the database, the emulator answers
    // AWS's temporary-failure error, and everything recovers without a restart of keyless.
    await db.halt();
    for (const base of bases) {
      const refused = await mint(base);
      assert.equal(refused.status, 503, JSON.stringify(refused.json));
      acceptable(refused, `mint while down, ${base}`);
      const ready = await call(base, "GET", "/readyz");
      assert.equal(ready.status, 503);
      assert.equal(ready.json.type, "https://keyless.dev/problems/database-unavailable");
      assert.ok(ready.headers.get("retry-after"));
      assert.equal((await call(base, "GET", "/healthz")).status, 200);
      // The admin API needs the database too (the API key lookup), and says so the same way.
      const listed = await call(base, "GET", "/api/v1/organizations", admin);
      assert.equal(listed.status, 503, JSON.stringify(listed.json));
      assert.equal(listed.json.type, "https://keyless.dev/problems/database-unavailable");
    }
    await wellKnownUp("while the database is down");
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const iam = new IAMClient({
      endpoint: b0,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
    await assert.rejects(
      iam.send(
        new CreateRoleCommand({
          RoleName: "during-outage",
          AssumeRolePolicyDocument: trust,
        }),
      ),
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.name, "ServiceUnavailable", e.message);
        assert.equal(e.$metadata?.httpStatusCode, 503);
        return true;
      },
    );
    await db.start();
    await recovered("after the database came back");
    await wellKnownUp("after the database came back");
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: "after-outage", AssumeRolePolicyDocument: trust }),
    );
    assert.equal(created.Role?.RoleName, "after-outage", "the emulator recovers by itself too");
    assert.deepEqual(exited, []);
    assert.ok(outcomes.ok > 0);
    t.diagnostic(`mints: ${outcomes.ok} ok, ${outcomes.unavailable} refused 503 during outages`);
  });
});
