import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as pause } from "node:timers/promises";
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { runKeyless } from "../support/cli.js";
import type { Json } from "../support/issuer.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { type ServeProcess, seedApplyRunOverHttp, startServesOnOneDatabase } from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

/**
 * Two `keyless serve` processes on one PostgreSQL, and `keyless keys rotate --immediate` run from the CLI
 * (a third process) while a loop mints on each server in turn and verifies every token against the JWKS
 * the same server serves right after. The loop is bounded by a count, not a time.
 */
describe("rotation across processes on one PostgreSQL", () => {
  const dir = tempDir();
  let pg: TestPostgres | undefined;
  const servers: ServeProcess[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    pg?.stop();
    dir.cleanup();
  });

  test("every token verifies against the JWKS of the server that signed it, before, during and after", async (t) => {
    pg = await startPostgres();
    if (!pg) return t.skip("PostgreSQL binaries are not installed");
    const common = {
      PATH: process.env.PATH,
      HOME: dir.path,
      KEYLESS_DATABASE: pg.url,
      KEYLESS_KEK: Buffer.alloc(32, 5).toString("base64"),
    };
    const { bases, admin } = await startServesOnOneDatabase(
      dir.path,
      common,
      { a: ["--log-level", "warn"], b: ["--log-level", "warn"] },
      servers,
    );
    const call = async (base: string, method: string, path: string, key: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, json: (await r.json()) as Json };
    };
    const b0 = bases[0]!;
    const { tokenPath, ...run } = await seedApplyRunOverHttp(b0, admin);

    const firstKid = (await call(b0, "GET", "/.well-known/jwks", admin)).json.keys[0].kid;
    let rotation: Promise<{ code: number | null; stdout: string; stderr: string }> | undefined;
    let rotated: { code: number | null; stdout: string; stderr: string } | undefined;
    const kidsBy = bases.map(() => new Set<string>());
    let newKid = "";
    let i = 0;
    for (; i < 3000; i++) {
      if (i === 20) {
        rotation = runKeyless(["keys", "rotate", "--immediate", "--alg", "ES256"], {
          env: { ...common, KEYLESS_DATA_DIR: join(dir.path, "cli") },
        });
        rotation.then((r) => {
          rotated = r;
          newKid = r.stdout.split(" ")[0] ?? "";
        });
      }
      const s = i % 2;
      const base = bases[s]!;
      // A verifier polling this server's JWKS at its own pace, out of step with the mints.
      if (i % 3 === 0) await call(base, "GET", "/.well-known/jwks", admin);
      await pause(3);
      const minted = await call(base, "GET", tokenPath, run.requestToken);
      assert.equal(minted.status, 200, JSON.stringify(minted.json));
      // Pacing (the two cores are shared), placed so that the JWKS is read a moment after the signing key
      // was: with separate caches that moment is when they disagree. No assertion depends on time.
      await pause(5);
      const jwks = (await call(base, "GET", "/.well-known/jwks", admin)).json as JSONWebKeySet;
      const { kid } = decodeProtectedHeader(minted.json.value);
      await assert.doesNotReject(
        jwtVerify(minted.json.value, createLocalJWKSet(jwks), { audience: "sts.amazonaws.com" }),
        `mint ${i} on server ${s}: ${kid} against its JWKS ${jwks.keys.map((k) => k.kid).join(",")}`,
      );
      kidsBy[s]!.add(kid!);
      if (rotated && kidsBy.every((k) => k.has(newKid))) break;
    }
    await rotation;
    assert.equal(rotated?.code, 0, rotated?.stderr);
    assert.ok(newKid && newKid !== firstKid);
    assert.ok(i < 3000, `both servers took up ${newKid} within the loop (${i} mints)`);
    for (const k of kidsBy) assert.ok(k.has(firstKid), "each server signed with the old key before");
  });
});
