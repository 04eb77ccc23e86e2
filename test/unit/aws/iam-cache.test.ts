import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CachedIamRepository } from "../../../src/aws/iam/cached-repository.js";
import { iamMigrations } from "../../../src/aws/iam/migrations.js";
import { KyselyIamRepository, type Role } from "../../../src/aws/iam/repository.js";
import type { IamTables } from "../../../src/aws/iam/tables.js";
import { manualClock } from "../../../src/lib/clock.js";
import { openDatabase } from "../../../src/store/database.js";
import { tempDir } from "../../support/tmp.js";

const role = (trustPolicy: string): Role => ({
  account: "123456789012",
  name: "deploy",
  id: "AROAEXAMPLEEXAMPLE123",
  path: "/",
  trustPolicy,
  description: undefined,
  maxSessionDuration: 3600,
  tags: [],
  createdAt: "2026-11-22T10:00:00Z",
});

describe("IAM read cache in front of the store", () => {
  test("a write by another connection (another worker) on the same SQLite file is seen within 20 ms", async () => {
    const dir = tempDir();
    const file = join(dir.path, "emulator.db");
    const a = await openDatabase<IamTables>(file, iamMigrations);
    const b = await openDatabase<IamTables>(file, iamMigrations);
    try {
      const clock = manualClock(0);
      const workerA = new CachedIamRepository(new KyselyIamRepository(a.db), clock, a.changeCounter);
      const workerB = new CachedIamRepository(new KyselyIamRepository(b.db), clock, b.changeCounter);
      assert.equal(await workerB.getRole("123456789012", "deploy"), undefined, "a miss is cached too");
      assert.ok(await workerA.insertRole(role("v1")));
      // Another worker's commit is looked for at most every 20 ms of the (injected) clock.
      assert.equal(
        await workerB.getRole("123456789012", "deploy"),
        undefined,
        "within 20 ms the cached miss stands",
      );
      clock.advance(20);
      assert.equal((await workerB.getRole("123456789012", "DEPLOY"))?.trustPolicy, "v1");
      await workerA.updateRole(role("v2"));
      clock.advance(20);
      assert.equal((await workerB.getRole("123456789012", "deploy"))?.trustPolicy, "v2");
      await workerB.deleteRole("123456789012", "deploy");
      clock.advance(20);
      assert.equal(await workerA.getRole("123456789012", "deploy"), undefined);
    } finally {
      await a.close();
      await b.close();
      dir.cleanup();
    }
  });

  test("without a change counter (PostgreSQL), entries expire after the TTL; own writes invalidate at once", async () => {
    const dir = tempDir();
    const database = await openDatabase<IamTables>(join(dir.path, "e.db"), iamMigrations);
    try {
      const clock = manualClock(0);
      const inner = new KyselyIamRepository(database.db);
      const cached = new CachedIamRepository(inner, clock, undefined, 1_000);
      await cached.insertRole(role("v1"));
      assert.equal((await cached.getRole("123456789012", "deploy"))?.trustPolicy, "v1");
      await inner.updateRole(role("v2")); // behind the cache's back, like another host
      assert.equal((await cached.getRole("123456789012", "deploy"))?.trustPolicy, "v1");
      clock.advance(1_000);
      assert.equal((await cached.getRole("123456789012", "deploy"))?.trustPolicy, "v2");
      await cached.updateRole(role("v3"));
      assert.equal((await cached.getRole("123456789012", "deploy"))?.trustPolicy, "v3");
    } finally {
      await database.close();
      dir.cleanup();
    }
  });
});
