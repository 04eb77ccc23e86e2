import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { SERVE_MIGRATIONS } from "../../../src/server/serve.js";
import { openDatabase, parseDatabaseUrl } from "../../../src/store/database.js";
import type { Migration } from "../../../src/store/migration.js";
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
      const database = await openDatabase(file, SERVE_MIGRATIONS);
      const row = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      assert.equal(row.rows[0]?.one, 1);
      await database.close();
      assert.equal(statSync(file).mode & 0o777, 0o600);
    } finally {
      dir.cleanup();
    }
  });
});

/** A migration creating one table, standing for a component's history. */
const creates = (name: string, table: string): Migration => ({
  name,
  up: (db) => db.schema.createTable(table).addColumn("id", "text").execute(),
});

describe("components sharing one database", () => {
  test("each opens it with its own migrations; steps of the others are left alone, in any order", async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, "shared.db");
      const iam = [creates("0100_a", "a_rows")];
      const issuer = [creates("0200_b", "b_rows")];
      // The later-numbered component first, then the earlier one (unordered), then each again.
      for (const history of [issuer, iam, issuer, iam, [...iam, ...issuer]]) {
        const database = await openDatabase(file, history);
        await database.close();
      }
      const database = await openDatabase(file, []);
      try {
        const done = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
          database.db,
        );
        assert.deepEqual(
          done.rows.map((r) => r.name),
          ["0100_a", "0200_b"],
        );
        for (const table of ["a_rows", "b_rows"]) {
          await sql`insert into ${sql.table(table)} (id) values ('x')`.execute(database.db);
        }
      } finally {
        await database.close();
      }
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
    const database = await openDatabase(server.url, SERVE_MIGRATIONS);
    try {
      assert.equal(database.dialect, "postgres");
      const row = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      assert.equal(row.rows[0]?.one, 1);
    } finally {
      await database.close();
    }
  });
});
