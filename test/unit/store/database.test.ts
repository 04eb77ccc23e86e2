import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { openDatabase, parseDatabaseUrl } from "../../../src/store/database.js";
import { startPostgres, type TestPostgres } from "../../support/postgres.js";
import { tempDir } from "../../support/tmp.js";

describe("database URLs", () => {
  test("postgres URLs select PostgreSQL; anything else is an SQLite path", () => {
    assert.deepEqual(parseDatabaseUrl("postgres://u@h/db"), {
      dialect: "postgres",
      url: "postgres://u@h/db",
    });
    assert.deepEqual(parseDatabaseUrl("postgresql://u@h/db").dialect, "postgres");
    assert.deepEqual(parseDatabaseUrl("sqlite:/x/y.db"), { dialect: "sqlite", path: "/x/y.db" });
    assert.deepEqual(parseDatabaseUrl("data/keyless.db"), { dialect: "sqlite", path: "data/keyless.db" });
    assert.throws(() => parseDatabaseUrl("sqlite:"), /names no file/);
  });
});

describe("SQLite store", () => {
  test("the database file is created owner-only (it holds hashed secrets and encrypted keys)", async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, "nested", "keyless.db");
      const database = await openDatabase(file);
      const row = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      assert.equal(row.rows[0]?.one, 1);
      await database.close();
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      dir.cleanup();
    }
  });
});

describe("PostgreSQL store", () => {
  let server: TestPostgres | undefined;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.stop());

  test("opens and migrates a real PostgreSQL server started from the machine's binaries", async (t) => {
    if (!server) return t.skip("initdb/pg_ctl are not installed on this machine");
    const database = await openDatabase(server.url);
    try {
      assert.equal(database.dialect, "postgres");
      const row = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      assert.equal(row.rows[0]?.one, 1);
    } finally {
      await database.close();
    }
  });
});
