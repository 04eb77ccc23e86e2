import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { freePort } from "../support/ports.js";
import { type ServeProcess, startServe } from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

// Console sessions live in the issuer's store: a session made through one `--workers 2` process works
// through the other, survives a restart of the server, and ends at once when its key is revoked. Every
// request below opens its own connection: node:cluster's primary hands connections to the workers in
// turn (https://nodejs.org/api/cluster.html#how-it-works), so a run of them reaches both workers, and a
// session held in one worker's memory would answer 401 on half of them.

// biome-ignore lint/suspicious/noExplicitAny: the console's JSON, read field by field.
type Json = any;

interface Reply {
  status: number;
  json: Json;
  setCookie: string | undefined;
}

function call(
  port: number,
  method: string,
  path: string,
  options: { cookie?: string; csrf?: string; body?: unknown; key?: string } = {},
): Promise<Reply> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent: false, // a fresh connection each time, so the cluster may hand it to either worker
        headers: {
          connection: "close",
          ...(options.cookie ? { cookie: `keyless_console=${options.cookie}` } : {}),
          ...(options.csrf ? { "x-csrf-token": options.csrf } : {}),
          ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
          ...(body ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          text += d;
        });
        res.on("end", () => {
          const cookie = res.headers["set-cookie"]?.[0];
          resolve({
            status: res.statusCode ?? 0,
            json: text ? JSON.parse(text) : undefined,
            setCookie: cookie,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("console sessions in the store", () => {
  const dir = tempDir("keyless-console-sessions-");
  let server: ServeProcess | undefined;
  const env = () => ({ PATH: process.env.PATH, HOME: dir.path, KEYLESS_DATA_DIR: join(dir.path, "data") });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test("a session works through both workers, across a restart, and ends when its key is revoked", async () => {
    const port = await freePort();
    const serve = () => startServe(["--port", String(port), "--workers", "2", "--log-level", "warn"], env());
    server = await serve();
    const admin = readFileSync(join(dir.path, "data", "admin-key"), "utf8").trim();
    const created = await call(port, "POST", "/api/v1/api-keys", {
      key: admin,
      body: { name: "console user" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const userKey: string = created.json.secret;

    const signIn = await call(port, "POST", "/console/session", { body: { key: userKey } });
    assert.equal(signIn.status, 200, JSON.stringify(signIn.json));
    const cookie = /^keyless_console=([^;]+)/.exec(signIn.setCookie ?? "")?.[1];
    assert.ok(cookie);
    const csrf: string = signIn.json.csrf;

    // Six fresh connections: three per worker in turn, every one knows the session.
    for (let i = 0; i < 6; i++) {
      const s = await call(port, "GET", "/console/session", { cookie });
      assert.equal(s.status, 200, `request ${i}: ${JSON.stringify(s.json)}`);
      assert.equal(s.json.csrf, csrf, "a reloaded page gets the same CSRF token from any worker");
    }
    // A change through the other worker(s), with the CSRF token from the first.
    for (const name of ["acme", "globex"]) {
      const made = await call(port, "POST", "/console/api/v1/organizations", {
        cookie,
        csrf,
        body: { name },
      });
      assert.equal(made.status, 201, JSON.stringify(made.json));
    }
    const noCsrf = await call(port, "POST", "/console/api/v1/organizations", { cookie, body: { name: "x" } });
    assert.equal(noCsrf.status, 403);

    // The store holds neither the session id nor the key's secret.
    const data = join(dir.path, "data");
    for (const file of readdirSync(data)) {
      if (!/\.(db|sqlite)(-wal)?$/.test(file)) continue;
      const bytes = readFileSync(join(data, file)).toString("latin1");
      assert.ok(!bytes.includes(cookie), `${file} holds the session id`);
      assert.ok(!bytes.includes(userKey), `${file} holds the API key`);
    }

    await server.stop();
    server = await serve();
    for (let i = 0; i < 4; i++) {
      const s = await call(port, "GET", "/console/api/v1/organizations", { cookie });
      assert.equal(s.status, 200, `after the restart, request ${i}: ${JSON.stringify(s.json)}`);
      assert.deepEqual(s.json.organizations.map((o: Json) => o.name).sort(), ["acme", "globex"]);
    }

    // Sign-out through one worker ends the session on every worker.
    const second = await call(port, "POST", "/console/session", { body: { key: userKey } });
    const cookie2 = /^keyless_console=([^;]+)/.exec(second.setCookie ?? "")?.[1];
    const out = await call(port, "DELETE", "/console/session", { cookie: cookie2, csrf: second.json.csrf });
    assert.equal(out.status, 204);
    for (let i = 0; i < 4; i++) {
      assert.equal((await call(port, "GET", "/console/session", { cookie: cookie2 })).status, 401);
    }

    const revoked = await call(port, "DELETE", `/api/v1/api-keys/${created.json.apiKey.id}`, { key: admin });
    assert.equal(revoked.status, 204, JSON.stringify(revoked.json));
    for (let i = 0; i < 4; i++) {
      const s = await call(port, "GET", "/console/session", { cookie });
      assert.equal(s.status, 401, `after revocation, request ${i}`);
    }
  });
});
