import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { OPERATOR } from "../../../src/issuer/authz.js";
import { kekFromBytes } from "../../../src/issuer/kek.js";
import { AWS_SKEW_MS, MIN_OVERLAP_MS } from "../../../src/issuer/key-lifecycle.js";
import { kyselyIssuerRepository } from "../../../src/issuer/kysely-repository.js";
import { issuerMigrations } from "../../../src/issuer/migrations.js";
import { IssuerService } from "../../../src/issuer/service.js";
import type { IssuerTables } from "../../../src/issuer/tables.js";
import { manualClock } from "../../../src/lib/clock.js";
import { cryptoIds } from "../../../src/lib/ids.js";
import { type Database, openDatabase } from "../../../src/store/database.js";
import { acmeRun } from "../../support/issuer.js";
import { startPostgres, type TestPostgres } from "../../support/postgres.js";
import { tempDir } from "../../support/tmp.js";

const KEY_CACHE_MS = 5000;

/**
 * Two issuer services on one store, each with its own connection and caches (two processes or hosts), one
 * manual clock. One rotates; the other keeps minting while a verifier polls its JWKS at another phase
 * than the mints. The invariant: every token's kid is in the JWKS the minting server serves at that
 * moment, and no key leaves either server's JWKS while a token it signed may still be accepted.
 */
async function rotationUnderMinting(url: string): Promise<void> {
  const clock = manualClock(Date.UTC(2026, 10, 22, 12));
  const databases: Database<IssuerTables>[] = [];
  const server = async () => {
    const database = await openDatabase<IssuerTables>(url, issuerMigrations);
    databases.push(database);
    return new IssuerService(
      kyselyIssuerRepository(database.db),
      kekFromBytes(Buffer.alloc(32, 9)),
      clock,
      cryptoIds,
      {
        issuerUrl: "https://id.example.com",
        publicUrl: "http://127.0.0.1:1",
        signingAlgorithm: "ES256",
        keyPolicy: { overlapMs: MIN_OVERLAP_MS, rotationIntervalMs: 0 },
        maxTokenLifetimeSeconds: 3600,
        keyCacheMs: KEY_CACHE_MS,
      },
    );
  };
  try {
    const rotator = await server();
    const minter = await server();
    await rotator.signingKeys.maintainKeys();
    const { run } = await acmeRun(rotator);

    const tokens: { kid: string; exp: number }[] = [];
    const kidsOf = async (s: IssuerService) => new Set((await s.signingKeys.jwks()).keys.map((k) => k.kid));
    let immediate = "";
    let scheduled = "";
    for (let i = 0; i < 240; i++) {
      clock.advance(450);
      if (i % 3 === 0) await minter.signingKeys.jwks(); // a verifier polling the JWKS
      clock.advance(400);
      if (i === 30) immediate = (await rotator.signingKeys.rotate(OPERATOR, { immediate: true })).kid;
      if (i === 120) scheduled = (await rotator.signingKeys.rotate(OPERATOR, { algorithm: "RS256" })).kid;
      if (i === 150) clock.advance(MIN_OVERLAP_MS); // past the scheduled key's overlap
      const m = await minter.runs.mint(run.requestToken, run.run.id, { audience: "sts.amazonaws.com" });
      const served = await minter.signingKeys.jwks();
      assert.ok(
        served.keys.some((k) => k.kid === m.kid),
        `step ${i}: signed with ${m.kid}, not in the JWKS this server serves`,
      );
      await jwtVerify(m.value, createLocalJWKSet(structuredClone(served) as unknown as JSONWebKeySet), {
        currentDate: new Date(clock()),
        audience: "sts.amazonaws.com",
      });
      tokens.push({ kid: m.kid, exp: m.token.expiresAt * 1000 });
      for (const s of [minter, rotator]) {
        const kids = await kidsOf(s);
        for (const tok of tokens) {
          if (clock() < tok.exp + AWS_SKEW_MS)
            assert.ok(kids.has(tok.kid), `step ${i}: ${tok.kid} unpublished early`);
        }
      }
    }
    const used = new Set(tokens.map((t) => t.kid));
    assert.ok(used.has(immediate), "the minting server took up the key rotated in by the other one");
    assert.ok(used.has(scheduled), "and the scheduled one after its overlap");
    assert.equal(tokens.at(-1)?.kid, scheduled);
  } finally {
    for (const d of databases) await d.close();
  }
}

describe("one key snapshot: a server signs only with a key its own JWKS publishes", () => {
  const dir = tempDir();
  let pg: TestPostgres | undefined;
  after(() => {
    pg?.stop();
    dir.cleanup();
  });

  test("two services on one SQLite file", () => rotationUnderMinting(join(dir.path, "keyless.db")));

  test("two services on one PostgreSQL", async (t) => {
    pg = await startPostgres();
    if (!pg) return t.skip("PostgreSQL binaries are not installed");
    await rotationUnderMinting(pg.url);
  });
});
