import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildIssuerApp, registeredAdminRoutes } from "../../../src/server/issuer-app.js";
import { type TestIssuer, testIssuer } from "../../support/issuer.js";

/** A new environment `name` in `projectId` of `orgId`, created with the admin key; its JSON. */
async function newEnvironment(t: TestIssuer, orgId: string, projectId: string, name: string) {
  return (
    await t.call("POST", `/api/v1/organizations/${orgId}/projects/${projectId}/environments`, t.adminKey, {
      name,
    })
  ).json;
}

/** The world every test below starts from: two organizations, a project each, keys of every scope. */
async function world(t: TestIssuer) {
  const admin = t.adminKey;
  const a = (
    await t.call("POST", "/api/v1/organizations", admin, {
      name: "acme",
      allowedAudiences: ["sts.amazonaws.com", "vault"],
    })
  ).json;
  const b = (await t.call("POST", "/api/v1/organizations", admin, { name: "other" })).json;
  const project = (await t.call("POST", `/api/v1/organizations/${a.id}/projects`, admin, { name: "infra" }))
    .json;
  const otherProject = (
    await t.call("POST", `/api/v1/organizations/${a.id}/projects`, admin, { name: "web" })
  ).json;
  const env = await newEnvironment(t, a.id, project.id, "prod");
  const runner = (
    await t.call("POST", `/api/v1/organizations/${a.id}/api-keys`, admin, {
      name: "ci",
      scope: { kind: "runner", projectId: project.id },
    })
  ).json;
  const orgAdmin = (
    await t.call("POST", `/api/v1/organizations/${a.id}/api-keys`, admin, {
      name: "ops",
      scope: { kind: "org_admin" },
    })
  ).json;
  const otherAdmin = (
    await t.call("POST", `/api/v1/organizations/${b.id}/api-keys`, admin, {
      name: "b-ops",
      scope: { kind: "org_admin" },
    })
  ).json;
  const created = (
    await t.call("POST", `/api/v1/organizations/${a.id}/runs`, runner.secret, {
      environmentId: env.id,
      phase: "apply",
      deployer: "alice@example.com",
      attributes: { ref: "refs/heads/main", commit: "abc" },
    })
  ).json;
  assert.ok(created.requestToken, JSON.stringify(created));
  const kid = (await t.call("GET", "/api/v1/signing-keys", admin)).json.signingKeys[0].kid;
  return { a, b, project, otherProject, env, runner, orgAdmin, otherAdmin, run: created.run, created, kid };
}

const tokenPath = (requestUrl: string) => new URL(requestUrl).pathname + new URL(requestUrl).search;

describe("admin API authorization", () => {
  let t: TestIssuer;
  let w: Awaited<ReturnType<typeof world>>;
  before(async () => {
    t = await testIssuer();
    w = await world(t);
  });
  after(() => t.close());

  const fill = (url: string) =>
    url
      .replace(":org", w.a.id)
      .replace(":project", w.project.id)
      .replace(":env", w.env.id)
      .replace(":run", w.run.id)
      .replace(":key", w.orgAdmin.apiKey.id)
      .replace(":kid", w.kid);

  /** What a runner key of acme/infra may do; everything else is refused with 403. */
  const RUNNER_ALLOWED = new Set([
    "GET /api/v1/organizations",
    "GET /api/v1/organizations/:org",
    "GET /api/v1/organizations/:org/projects",
    "GET /api/v1/organizations/:org/projects/:project",
    "GET /api/v1/organizations/:org/projects/:project/environments",
    "GET /api/v1/organizations/:org/projects/:project/environments/:env",
    "GET /api/v1/organizations/:org/runs",
    "POST /api/v1/organizations/:org/runs",
    "GET /api/v1/organizations/:org/runs/:run",
    "GET /api/v1/organizations/:org/runs/:run/tokens",
    "POST /api/v1/organizations/:org/runs/:run/complete",
    "POST /api/v1/organizations/:org/claims/preview",
  ]);

  test("every admin endpoint: no key and a wrong key → 401; another organization's key and a runner key → 403; nothing changes", async () => {
    const routes = registeredAdminRoutes(t.app);
    assert.ok(routes.length >= 30, `${routes.length} routes`);
    const before = await t.snapshot();
    const bodies: Record<string, unknown> = {
      "POST /api/v1/organizations/:org/runs": { environmentId: w.env.id, phase: "plan", deployer: "x" },
      "POST /api/v1/organizations/:org/claims/preview": { runId: w.run.id },
    };
    for (const r of routes) {
      const name = `${r.method} ${r.url}`;
      const url = fill(r.url);
      const body = r.method === "POST" || r.method === "PATCH" ? (bodies[name] ?? {}) : undefined;
      const none = await t.call(r.method, url, undefined, body);
      assert.equal(none.status, 401, `${name} without a key`);
      assert.match(none.type, /application\/problem\+json/);
      const wrong = await t.call(r.method, url, "klk_not-a-key", body);
      assert.equal(wrong.status, 401, `${name} with a wrong key`);

      const foreign = await t.call(r.method, url, w.otherAdmin.secret, body);
      if (name === "GET /api/v1/organizations") {
        assert.equal(foreign.status, 200);
        assert.deepEqual(
          foreign.json.organizations.map((o: { name: string }) => o.name),
          ["other"],
          "an organization admin sees only its own organization",
        );
      } else {
        assert.equal(foreign.status, 403, `${name} with another organization's key`);
        assert.match(foreign.type, /application\/problem\+json/);
      }
      if (!RUNNER_ALLOWED.has(name)) {
        const runner = await t.call(r.method, url, w.runner.secret, body);
        assert.equal(runner.status, 403, `${name} with a runner key`);
      }
    }
    // Only refusals were tried (a runner's allowed requests were skipped), so nothing may have changed.
    assert.equal(await t.snapshot(), before, "refused requests stored nothing");
  });

  // The key is checked before the body is read: the same refusals whatever the body.

  /** A valid key that lacks the route's scope; none exists for listing organizations (any key may). */
  const wrongScopeKey = (scope: string, url: string): string | undefined => {
    if (scope === "admin") return w.orgAdmin.secret;
    if (scope === "org_admin") return w.runner.secret;
    return url.includes(":org") ? w.otherAdmin.secret : undefined;
  };

  const send = async (method: string, url: string, key: string | undefined, payload: string) => {
    const res = await t.app.inject({
      method: method as "POST",
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), "content-type": "application/json" },
      payload,
    });
    return { status: res.statusCode, type: String(res.headers["content-type"] ?? ""), body: res.body };
  };

  test("every registered admin route: 401 without a key and 403 with the wrong scope, whatever the body; 400 only with a valid key", async () => {
    const routes = registeredAdminRoutes(t.app);
    assert.ok(routes.length >= 30, `${routes.length} routes`);
    const before = await t.snapshot();
    const malformed = '{"name": ';
    const tooLarge = JSON.stringify({ name: "x".repeat(70 * 1024) });
    for (const r of routes) {
      const name = `${r.method} ${r.url}`;
      const url = fill(r.url);
      const none = await send(r.method, url, undefined, malformed);
      assert.equal(none.status, 401, `${name}, no key, malformed JSON: ${none.body}`);
      assert.match(none.type, /^application\/problem\+json/, name);
      const big = await send(r.method, url, undefined, tooLarge);
      assert.equal(big.status, 401, `${name}, no key, a body over the limit: ${big.body}`);
      const wrong = wrongScopeKey(r.scope, r.url);
      if (wrong) {
        const res = await send(r.method, url, wrong, malformed);
        assert.equal(res.status, 403, `${name}, a key without scope ${r.scope}, malformed JSON: ${res.body}`);
        const large = await send(r.method, url, wrong, tooLarge);
        assert.equal(large.status, 403, `${name}, a key without scope ${r.scope}, a body over the limit`);
      } else {
        assert.equal(name, "GET /api/v1/organizations", "only listing organizations is open to every key");
      }
      // GET bodies are never read (RFC 9110 §9.3.1 gives them no meaning); every other method parses
      // its body once the key is accepted.
      if (r.method !== "GET") {
        const ok = await send(r.method, url, t.adminKey, malformed);
        assert.equal(ok.status, 400, `${name}, the admin key, malformed JSON: ${ok.body}`);
        assert.match(ok.type, /^application\/problem\+json/, name);
      }
    }
    assert.equal(await t.snapshot(), before, "no refused request stored anything");
  });

  test("an admin route that declares no scope cannot be registered (it would skip the key check)", async () => {
    const app = await buildIssuerApp({ service: t.service });
    try {
      assert.throws(() => app.get("/api/v1/unguarded", async () => ({})), /declares no scope/);
      app.get("/api/v1/guarded", { config: { scope: "admin" } }, async () => ({}));
      assert.ok(registeredAdminRoutes(app).some((r) => r.url === "/api/v1/guarded" && r.scope === "admin"));
    } finally {
      await app.close();
    }
  });

  test("over a real socket too: a key-less 1 MiB POST gets its 401, and the server keeps answering", async () => {
    const server = await testIssuer();
    try {
      await server.app.listen({ host: "127.0.0.1", port: 0 });
      const { port } = server.app.server.address() as { port: number };
      const url = `http://127.0.0.1:${port}/api/v1/organizations`;
      const headers = { "content-type": "application/json" };
      const refused = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "x".repeat(1024 * 1024) }),
      });
      assert.equal(refused.status, 401);
      assert.equal(
        ((await refused.json()) as { type: string }).type,
        "https://keyless.dev/problems/unauthorized",
      );
      const created = await fetch(url, {
        method: "POST",
        headers: { ...headers, authorization: `Bearer ${server.adminKey}` },
        body: JSON.stringify({ name: "after" }),
      });
      assert.equal(created.status, 201);
    } finally {
      await server.close();
    }
  });

  test("a runner key works for its own project only", async () => {
    const other = await newEnvironment(t, w.a.id, w.otherProject.id, "dev");
    const refused = await t.call("POST", `/api/v1/organizations/${w.a.id}/runs`, w.runner.secret, {
      environmentId: other.id,
      phase: "apply",
      deployer: "x",
    });
    assert.equal(refused.status, 403);
    assert.match(refused.json.detail, /another project/);
    const listed = await t.call("GET", `/api/v1/organizations/${w.a.id}/runs`, w.runner.secret);
    assert.equal(listed.status, 200);
    assert.ok(listed.json.runs.every((r: { projectId: string }) => r.projectId === w.project.id));
  });

  test("an organization admin manages its organization and cannot mint admin keys", async () => {
    const ok = await t.call("POST", `/api/v1/organizations/${w.a.id}/projects`, w.orgAdmin.secret, {
      name: "data",
    });
    assert.equal(ok.status, 201);
    const admin = await t.call("POST", "/api/v1/api-keys", w.orgAdmin.secret, { name: "escalate" });
    assert.equal(admin.status, 403);
    const revoked = await t.call(
      "DELETE",
      `/api/v1/organizations/${w.a.id}/api-keys/${w.orgAdmin.apiKey.id}`,
      t.adminKey,
    );
    assert.equal(revoked.status, 204);
    assert.equal(
      (await t.call("GET", `/api/v1/organizations/${w.a.id}`, w.orgAdmin.secret)).status,
      401,
      "revoked keys stop at once",
    );
  });
});

describe("runs, request tokens and the token endpoint", () => {
  let t: TestIssuer;
  let w: Awaited<ReturnType<typeof world>>;
  before(async () => {
    t = await testIssuer();
    w = await world(t);
  });
  after(() => t.close());

  test("a request token mints again, for several audiences; each mint is audited", async () => {
    const path = tokenPath(w.created.requestUrl);
    const one = await t.call("GET", `${path}&audience=sts.amazonaws.com`, w.created.requestToken);
    const two = await t.call("GET", `${path}&audience=vault&lifetime=600`, w.created.requestToken);
    assert.equal(one.status, 200);
    assert.equal(two.status, 200);
    const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString());
    assert.equal(claims(one.json.value).aud, "sts.amazonaws.com");
    assert.equal(claims(two.json.value).aud, "vault");
    assert.equal(claims(two.json.value).exp - claims(two.json.value).iat, 600);
    const audit = (await t.call("GET", `/api/v1/organizations/${w.a.id}/audit?action=token.mint`, t.adminKey))
      .json.entries;
    assert.equal(audit.length, 2);
    assert.deepEqual(audit.map((e: { details: { audience: string } }) => e.details.audience).sort(), [
      "sts.amazonaws.com",
      "vault",
    ]);
    for (const e of audit) {
      assert.equal(e.target, w.run.id);
      assert.equal(e.kid, w.kid);
      assert.ok(e.tokenExp > 0 && e.details.jti);
    }
    assert.ok(
      !JSON.stringify(audit).includes(w.created.requestToken),
      "the audit never holds the request token",
    );
  });

  test("a token's jti is a UUIDv7 of the mint's time, distinct per mint, and keys its audit row", async () => {
    const path = `${tokenPath(w.created.requestUrl)}&audience=sts.amazonaws.com`;
    const jtis: string[] = [];
    // Each mint a millisecond after the last (and after the earlier tests' mints, so the audit's newest
    // three rows are these).
    const started = t.clock() + 1;
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1);
      const r = await t.call("GET", path, w.created.requestToken);
      assert.equal(r.status, 200);
      jtis.push(JSON.parse(Buffer.from(r.json.value.split(".")[1]!, "base64url").toString()).jti);
    }
    // RFC 9562 section 5.7: version 7, variant 10, the first 48 bits the Unix time in milliseconds.
    jtis.forEach((jti, i) => {
      assert.match(jti, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(Number.parseInt(jti.replace("-", "").slice(0, 12), 16), started + i);
    });
    assert.deepEqual([...jtis].sort(), jtis, "later mints sort later");
    const audit = (
      await t.call("GET", `/api/v1/organizations/${w.a.id}/audit?action=token.mint&limit=3`, t.adminKey)
    ).json.entries as { id: string; details: { jti: string } }[];
    assert.deepEqual(audit.map((e) => e.id).sort(), jtis);
    assert.ok(audit.every((e) => e.id === e.details.jti));
  });

  test("the request token cannot be used at another run's URL, and is refused once the run completes", async () => {
    const second = (
      await t.call("POST", `/api/v1/organizations/${w.a.id}/runs`, w.runner.secret, {
        environmentId: w.env.id,
        phase: "plan",
        deployer: "bob",
      })
    ).json;
    const crossed = await t.call(
      "GET",
      `${tokenPath(second.requestUrl)}&audience=sts.amazonaws.com`,
      w.created.requestToken,
    );
    assert.equal(crossed.status, 401);
    const done = await t.call(
      "POST",
      `/api/v1/organizations/${w.a.id}/runs/${second.run.id}/complete`,
      w.runner.secret,
      { status: "succeeded" },
    );
    assert.equal(done.status, 200);
    assert.equal(done.json.status, "succeeded");
    const dead = await t.call(
      "GET",
      `${tokenPath(second.requestUrl)}&audience=sts.amazonaws.com`,
      second.requestToken,
    );
    assert.equal(dead.status, 401);
    assert.match(dead.type, /application\/problem\+json/);
    assert.equal(dead.json.type, "https://keyless.dev/problems/run-not-live");
    assert.equal(
      (
        await t.call(
          "POST",
          `/api/v1/organizations/${w.a.id}/runs/${second.run.id}/complete`,
          w.runner.secret,
        )
      ).status,
      409,
    );
  });

  test("a run that times out takes its request token with it", async () => {
    const r = (
      await t.call("POST", `/api/v1/organizations/${w.a.id}/runs`, w.runner.secret, {
        environmentId: w.env.id,
        phase: "plan",
        deployer: "bob",
        timeoutSeconds: 600,
      })
    ).json;
    const path = `${tokenPath(r.requestUrl)}&audience=sts.amazonaws.com`;
    assert.equal((await t.call("GET", path, r.requestToken)).status, 200);
    t.clock.advance(600_000);
    const dead = await t.call("GET", path, r.requestToken);
    assert.equal(dead.status, 401);
    assert.match(dead.json.detail, /timed out/);
  });
});

describe("bad input gets a JSON problem and changes nothing stored", () => {
  let t: TestIssuer;
  let w: Awaited<ReturnType<typeof world>>;
  before(async () => {
    t = await testIssuer();
    w = await world(t);
  });
  after(() => t.close());

  const cases: [string, () => [string, string, string, unknown], number, string][] = [];
  const add = (name: string, req: () => [string, string, string, unknown], status: number, type: string) =>
    cases.push([name, req, status, type]);
  add(
    "unknown audience",
    () => ["GET", `${tokenPath(w.created.requestUrl)}&audience=evil`, w.created.requestToken, undefined],
    400,
    "unknown-audience",
  );
  add(
    "lifetime above the cap",
    () => ["GET", `${tokenPath(w.created.requestUrl)}&lifetime=7200`, w.created.requestToken, undefined],
    422,
    "lifetime-too-long",
  );
  const run = (attributes: Record<string, string>, env?: string) => () =>
    [
      "POST",
      `/api/v1/organizations/${w.a.id}/runs`,
      w.runner.secret,
      { environmentId: env ?? w.env.id, phase: "apply", deployer: "x", attributes },
    ] as [string, string, string, unknown];
  add("reserved custom claim", run({ sub: "repo:victim" }), 422, "invalid-claims");
  add("custom claim posing as AWS tags", run({ "https://aws.amazon.com/tags": "x" }), 422, "invalid-claims");
  add("oversized custom claim", run({ note: "x".repeat(5000) }), 422, "invalid-claims");
  add(
    "unknown field",
    () => ["POST", `/api/v1/organizations/${w.a.id}/projects`, t.adminKey, { name: "x", colour: "red" }],
    400,
    "bad-request",
  );
  add(
    "malformed JSON",
    () => ["POST", `/api/v1/organizations/${w.a.id}/projects`, t.adminKey, "{"],
    400,
    "bad-request",
  );
  add(
    "bad subject template",
    () => ["PATCH", `/api/v1/organizations/${w.a.id}`, t.adminKey, { subTemplate: "org:{nope}" }],
    422,
    "invalid-template",
  );
  add(
    "session tag with the aws: prefix",
    () => [
      "PATCH",
      `/api/v1/organizations/${w.a.id}`,
      t.adminKey,
      { sessionTags: { enabled: true, keys: ["aws:x"], transitive: [] } },
    ],
    422,
    "invalid-session-tags",
  );
  add(
    "default lifetime above the cap",
    () => ["PATCH", `/api/v1/organizations/${w.a.id}`, t.adminKey, { defaultLifetimeSeconds: 999999 }],
    400,
    "bad-request",
  );
  add(
    "duplicate project name",
    () => ["POST", `/api/v1/organizations/${w.a.id}/projects`, t.adminKey, { name: "infra" }],
    409,
    "conflict",
  );

  test("each case: the status, problem+json with its type, and the store byte for byte as before", async () => {
    for (const [name, req, status, type] of cases) {
      const [method, url, key, body] = req();
      const before = await t.snapshot();
      const res =
        body === "{"
          ? await t.app
              .inject({
                method: "POST",
                url,
                headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
                payload: "{",
              })
              .then((r) => ({
                status: r.statusCode,
                json: JSON.parse(r.body),
                type: String(r.headers["content-type"]),
              }))
          : await t.call(method, url, key, body);
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.json)}`);
      assert.match(res.type, /^application\/problem\+json/, name);
      assert.equal(res.json.type, `https://keyless.dev/problems/${type}`, name);
      assert.equal(typeof res.json.detail, "string");
      assert.equal(await t.snapshot(), before, `${name}: nothing stored changed`);
    }
  });

  test("transport refusals (too large, wrong media type, unknown route) are problem+json too", async () => {
    const url = `/api/v1/organizations/${w.a.id}/projects`;
    const headers = { authorization: `Bearer ${t.adminKey}` };
    const big = await t.app.inject({
      method: "POST",
      url,
      headers: { ...headers, "content-type": "application/json" },
      payload: JSON.stringify({ name: "x".repeat(70_000) }),
    });
    assert.equal(big.statusCode, 413);
    assert.match(String(big.headers["content-type"]), /^application\/problem\+json/);
    const text = await t.app.inject({
      method: "POST",
      url,
      headers: { ...headers, "content-type": "application/xml" },
      payload: "<x/>",
    });
    assert.equal(text.statusCode, 415);
    assert.match(String(text.headers["content-type"]), /^application\/problem\+json/);
    const none = await t.call("GET", "/nowhere");
    assert.equal(none.status, 404);
    assert.equal(none.json.type, "https://keyless.dev/problems/not-found");
  });

  test("an ambiguous subject is refused when the run is created, before any job starts", async () => {
    const env = await newEnvironment(t, w.a.id, w.project.id, "prod:eu");
    const before = await t.snapshot();
    const res = await t.call("POST", `/api/v1/organizations/${w.a.id}/runs`, w.runner.secret, {
      environmentId: env.id,
      phase: "apply",
      deployer: "x",
    });
    assert.equal(res.status, 422);
    assert.equal(res.json.type, "https://keyless.dev/problems/ambiguous-subject");
    assert.equal(res.json.separator, ":");
    assert.equal(await t.snapshot(), before);
  });

  test("claims preview shows what a run would get without storing or signing anything", async () => {
    const before = await t.snapshot();
    const res = await t.call("POST", `/api/v1/organizations/${w.a.id}/claims/preview`, w.runner.secret, {
      environmentId: w.env.id,
      phase: "plan",
      deployer: "carol",
      audience: "vault",
    });
    assert.equal(res.status, 200);
    assert.equal(res.json.claims.sub, "org:acme:project:infra:env:prod:phase:plan");
    assert.equal(res.json.claims.aud, "vault");
    assert.equal(res.json.header.kid, w.kid);
    assert.equal(await t.snapshot(), before);
  });
});

describe("discovery per issuer", () => {
  let t: TestIssuer;
  before(async () => {
    t = await testIssuer();
    await t.call("POST", "/api/v1/organizations", t.adminKey, {
      name: "tenant",
      issuerUrl: "https://id.example.com/org/tenant",
    });
    await t.call("POST", "/api/v1/organizations", t.adminKey, { name: "e0", profile: "env0" });
  });
  after(() => t.close());

  const get = async (url: string, host: string) => {
    const r = await t.app.inject({ method: "GET", url, headers: { host } });
    return { status: r.statusCode, json: JSON.parse(r.body), cache: String(r.headers["cache-control"]) };
  };

  test("the server's issuer, a per-tenant path issuer, and env0's host with its trailing slash", async () => {
    const own = await get("/.well-known/openid-configuration", "127.0.0.1:8443");
    assert.equal(own.json.issuer, "https://id.example.com");
    assert.equal(own.json.jwks_uri, "https://id.example.com/.well-known/jwks");
    assert.match(own.cache, /^public, max-age=\d+$/);
    const tenant = await get("/org/tenant/.well-known/openid-configuration", "id.example.com");
    assert.equal(tenant.json.issuer, "https://id.example.com/org/tenant");
    assert.equal(tenant.json.jwks_uri, "https://id.example.com/org/tenant/.well-known/jwks");
    const jwks = await get("/org/tenant/.well-known/jwks", "id.example.com");
    assert.equal(jwks.json.keys.length, 1);
    const env0 = await get("/.well-known/openid-configuration", "login.app.env0.com");
    assert.equal(env0.json.issuer, "https://login.app.env0.com/");
    assert.equal(env0.json.jwks_uri, "https://login.app.env0.com/.well-known/jwks.json");
    assert.equal((await get("/.well-known/jwks.json", "login.app.env0.com")).json.keys[0].use, "sig");
    assert.equal((await get("/nobody/.well-known/openid-configuration", "id.example.com")).status, 404);
  });
});
