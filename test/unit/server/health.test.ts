import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { storeOutage } from "../../../src/aws/emulator.js";
import { createQueryEndpoint, type QueryService } from "../../../src/aws/wire/endpoint.js";
import { DatabaseUnavailableError } from "../../../src/store/unavailable.js";
import { type TestIssuer, testIssuer } from "../../support/issuer.js";
import { tempDir } from "../../support/tmp.js";

describe("/healthz and /readyz", () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await testIssuer();
  });
  after(() => issuer.close());

  test("/healthz: up, public, not cached", async () => {
    const r = await issuer.app.inject({ method: "GET", url: "/healthz" });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: "up" });
    assert.equal(r.headers["cache-control"], "no-store");
  });

  test("/readyz: ready with the active key; 503 no-signing-key when none is active", async () => {
    const kid = (await issuer.service.signingKeys.current())?.kid;
    const ready = await issuer.app.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: "ready", kid });
    await sql`delete from issuer_signing_keys`.execute(issuer.database.db);
    const r = await issuer.app.inject({ method: "GET", url: "/readyz" });
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().type, "https://keyless.dev/problems/no-signing-key");
    assert.match(String(r.headers["content-type"]), /^application\/problem\+json/);
    // /healthz does not depend on keys or the database.
    assert.equal((await issuer.app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
  });
});

describe("an SQLite store locked past its busy timeout", () => {
  const dir = tempDir();
  let issuer: TestIssuer;
  let other: SQLite.Database;
  before(async () => {
    issuer = await testIssuer({ database: join(dir.path, "keyless.db") });
    other = new SQLite(join(dir.path, "keyless.db"));
  });
  after(async () => {
    other.close();
    await issuer.close();
    dir.cleanup();
  });

  test("a write answers 503 database-unavailable with Retry-After, then succeeds once the lock is gone", async () => {
    const jwks = await issuer.app.inject({ method: "GET", url: "/.well-known/jwks" });
    assert.equal(jwks.statusCode, 200);
    other.exec("begin exclusive");
    let r: Awaited<ReturnType<typeof issuer.app.inject>>;
    try {
      r = await issuer.app.inject({
        method: "POST",
        url: "/api/v1/organizations",
        headers: { authorization: `Bearer ${issuer.adminKey}`, "content-type": "application/json" },
        payload: JSON.stringify({ name: "acme" }),
      });
      // The JWKS is served from the last copy read while the store cannot be read.
      const stale = await issuer.app.inject({ method: "GET", url: "/.well-known/jwks" });
      assert.equal(stale.statusCode, 200);
      assert.deepEqual(stale.json(), jwks.json());
    } finally {
      other.exec("rollback");
    }
    assert.equal(r.statusCode, 503, r.body);
    assert.equal(r.json().type, "https://keyless.dev/problems/database-unavailable");
    assert.match(String(r.headers["retry-after"]), /^\d+$/);
    assert.doesNotMatch(r.body, /SQLITE|locked/i, "the driver's words stay in the log");
    const again = await issuer.call("POST", "/api/v1/organizations", issuer.adminKey, { name: "acme" });
    assert.equal(again.status, 201, JSON.stringify(again.json));
  });
});

describe("the emulator's answer when its store is unavailable", () => {
  const service: QueryService<string> = {
    version: "2011-06-15",
    namespace: "https://sts.amazonaws.com/doc/2011-06-15/",
    signingName: "sts",
    actions: {
      Outage: {
        unsigned: true,
        run: () => {
          throw new DatabaseUnavailableError("the database is unavailable: connect ECONNREFUSED");
        },
      },
      Bug: {
        unsigned: true,
        run: () => {
          throw new Error("bug");
        },
      },
    },
  };
  const internal: unknown[] = [];
  const endpoint = createQueryEndpoint({
    services: [service],
    authenticate: async () => "me",
    newRequestId: () => "req-1",
    classifyError: storeOutage,
    onInternalError: (e) => internal.push(e),
  });
  const post = (action: string) =>
    endpoint({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `Action=${action}&Version=2011-06-15`,
    });

  test("ServiceUnavailable, 503, Receiver: AWS's temporary failure, not InternalFailure", async () => {
    const r = await post("Outage");
    assert.equal(r.status, 503);
    assert.match(r.body, /<Type>Receiver<\/Type>\s*<Code>ServiceUnavailable<\/Code>/);
    assert.match(r.body, /temporary failure of the server/);
    assert.doesNotMatch(r.body, /ECONNREFUSED/);
    assert.deepEqual(internal, [], "an outage is not reported as a bug");
    const bug = await post("Bug");
    assert.equal(bug.status, 500);
    assert.match(bug.body, /<Code>InternalFailure<\/Code>/);
    assert.equal(internal.length, 1);
  });
});
