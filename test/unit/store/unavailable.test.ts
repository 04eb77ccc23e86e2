import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { isKeylessError } from "../../../src/lib/errors.js";
import { openDatabase } from "../../../src/store/database.js";
import { classifyDatabaseError, DatabaseUnavailableError } from "../../../src/store/unavailable.js";
import { freePort } from "../../support/ports.js";
import { tempDir } from "../../support/tmp.js";

const withCode = (code: string, message = `error ${code}`) => Object.assign(new Error(message), { code });

describe("classifyDatabaseError: an outage is one type, everything else passes through", () => {
  const outages: [string, unknown][] = [
    [
      "57P01 admin_shutdown (pg_ctl restart)",
      withCode("57P01", "terminating connection due to administrator command"),
    ],
    ["57P02 crash_shutdown", withCode("57P02")],
    ["57P03 cannot_connect_now (starting up)", withCode("57P03", "the database system is starting up")],
    ["08006 connection_failure", withCode("08006")],
    ["08001 sqlclient_unable_to_establish_sqlconnection", withCode("08001")],
    ["08P01 protocol_violation", withCode("08P01")],
    ["53300 too_many_connections", withCode("53300")],
    ["ECONNREFUSED", withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")],
    ["ECONNRESET", withCode("ECONNRESET", "read ECONNRESET")],
    ["ETIMEDOUT", withCode("ETIMEDOUT")],
    ["node-postgres: Connection terminated unexpectedly", new Error("Connection terminated unexpectedly")],
    [
      "node-postgres: not queryable",
      new Error("Client has encountered a connection error and is not queryable"),
    ],
    ["pg-pool: connect timeout", new Error("timeout exceeded when trying to connect")],
    [
      "pg-pool: connection timeout with a cause",
      new Error("Connection terminated due to connection timeout", { cause: new Error("x") }),
    ],
    ["SQLITE_BUSY", withCode("SQLITE_BUSY", "database is locked")],
    ["SQLITE_BUSY_SNAPSHOT", withCode("SQLITE_BUSY_SNAPSHOT")],
    [
      "happy eyeballs: every address refused",
      new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")], "connect failed"),
    ],
    ["wrapped in a cause", new Error("query failed", { cause: withCode("57P01") })],
  ];
  for (const [name, error] of outages) {
    test(`outage: ${name}`, () => {
      const classified = classifyDatabaseError(error);
      assert.ok(classified instanceof DatabaseUnavailableError, `${name} was not classified`);
      assert.equal(classified.cause, error);
      assert.equal(classified.code, "ERR_DATABASE_UNAVAILABLE");
      assert.equal(classified.exitClass, "outside");
      assert.equal(classifyDatabaseError(classified), classified, "classifying twice changes nothing");
    });
  }

  const others: [string, unknown][] = [
    ["23505 unique_violation", withCode("23505", "duplicate key value violates unique constraint")],
    ["23503 foreign_key_violation", withCode("23503")],
    ["42P01 undefined_table", withCode("42P01")],
    ["40001 serialization_failure", withCode("40001")],
    ["57014 query_canceled", withCode("57014")],
    ["SQLITE_CONSTRAINT_UNIQUE", withCode("SQLITE_CONSTRAINT_UNIQUE")],
    ["SQLITE_LOCKED (same connection)", withCode("SQLITE_LOCKED")],
    ["ENOENT", withCode("ENOENT")],
    ["a bug", new TypeError("cannot read properties of undefined")],
    ["a coded error whose message looks like a lost connection", withCode("XX000", "Connection terminated")],
    [
      "an AggregateError with one unrelated error",
      new AggregateError([withCode("ECONNREFUSED"), new Error("x")]),
    ],
    ["not an error", "Connection terminated"],
    ["undefined", undefined],
  ];
  for (const [name, error] of others) {
    test(`not an outage: ${name}`, () => {
      assert.equal(classifyDatabaseError(error), error);
    });
  }
});

describe("the store reports outages as DatabaseUnavailableError", () => {
  test("a PostgreSQL server that does not listen: the real driver's error, classified", async () => {
    const port = await freePort();
    await assert.rejects(openDatabase(`postgres://keyless@127.0.0.1:${port}/keyless`, []), (e: unknown) => {
      assert.ok(e instanceof DatabaseUnavailableError, String(e));
      assert.ok(isKeylessError(e));
      assert.match(e.message, /ECONNREFUSED/);
      return true;
    });
  });

  test("SQLite locked by another connection past the busy timeout: SQLITE_BUSY, classified", async () => {
    const dir = tempDir();
    const file = join(dir.path, "busy.db");
    const database = await openDatabase(file, []);
    const other = new SQLite(file);
    try {
      await sql`create table t (x integer)`.execute(database.db);
      // A second connection that takes the write lock and does not wait for it (busy_timeout 0).
      const mine = new SQLite(file);
      mine.pragma("busy_timeout = 0");
      other.exec("begin exclusive");
      let busy: unknown;
      try {
        mine.exec("insert into t values (1)");
      } catch (e) {
        busy = e;
      } finally {
        mine.close();
      }
      assert.equal((busy as { code?: string }).code, "SQLITE_BUSY");
      assert.ok(classifyDatabaseError(busy) instanceof DatabaseUnavailableError);
    } finally {
      other.exec("rollback");
      other.close();
      await database.close();
      dir.cleanup();
    }
  });
});
