import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { OPERATOR } from "../../../src/issuer/authz.js";
import { CONSOLE_COOKIE, consolePlugin } from "../../../src/server/console/plugin.js";
import { ConsoleSessions } from "../../../src/server/console/sessions.js";
import { DELEGATION_HEADER, delegate } from "../../../src/server/issuer/http.js";
import { acmeRun, type Json, type TestIssuer, testIssuer } from "../../support/issuer.js";

// The console's security properties through Fastify's inject (real HTTP semantics, a manual clock): the
// cookie's flags, CSRF on every change, the CSP, expiry, sign-out, scopes as in the admin API, and no
// secret in any answer the page receives.

const TTL = 3600;
let t: TestIssuer;
let sessions: ConsoleSessions;
let acme: Awaited<ReturnType<typeof acmeRun>>;
let other: { id: string };
let orgAdminKey: string;
let runnerKey: string;

before(async () => {
  t = await testIssuer();
  sessions = new ConsoleSessions(t.service, TTL);
  await t.app.register(consolePlugin, { service: t.service, secure: false, sessions });
  acme = await acmeRun(t.service);
  other = await t.service.tenancy.createOrganization(OPERATOR, { name: "globex" });
  orgAdminKey = (
    await t.service.apiKeys.createApiKey(OPERATOR, {
      name: "acme admin",
      scope: { kind: "org_admin", organizationId: acme.org.id },
    })
  ).secret;
  runnerKey = (
    await t.service.apiKeys.createApiKey(OPERATOR, {
      name: "acme runner",
      scope: { kind: "runner", organizationId: acme.org.id, projectId: acme.project.id },
    })
  ).secret;
});
after(() => t.close());

interface Reply {
  status: number;
  json: Json;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

async function request(
  method: string,
  url: string,
  options: { cookie?: string; csrf?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const res = await t.app.inject({
    method: method as "GET",
    url,
    headers: {
      host: "console.test",
      ...(options.cookie ? { cookie: `${CONSOLE_COOKIE}=${options.cookie}` } : {}),
      ...(options.csrf ? { "x-csrf-token": options.csrf } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
  });
  let json: Json;
  try {
    json = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, body: res.body, headers: res.headers };
}

async function signIn(credential: { key: string } | { code: string }) {
  const r = await request("POST", "/console/session", { body: credential });
  assert.equal(r.status, 200, r.body);
  const cookie = String(r.headers["set-cookie"]);
  const value = new RegExp(`^${CONSOLE_COOKIE}=([^;]+)`).exec(cookie)?.[1];
  assert.ok(value, cookie);
  return { cookie: value, csrf: r.json.csrf as string, setCookie: cookie, reply: r };
}

describe("console: page and headers", () => {
  test("the page is served with a strict CSP and no secret in it", async () => {
    const r = await request("GET", "/console/");
    assert.equal(r.status, 200);
    const csp = String(r.headers["content-security-policy"]);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(r.headers["x-content-type-options"], "nosniff");
    assert.ok(!r.body.includes(t.adminKey));
    // Every script and stylesheet comes from this server.
    for (const m of r.body.matchAll(/(?:src|href)="([^"]+)"/g)) assert.match(m[1]!, /^\/console\/assets\//);
  });

  test("assets are compressed and cached by content hash", async () => {
    const page = await request("GET", "/console/");
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    assert.ok(script);
    const r = await request("GET", script, { headers: { "accept-encoding": "gzip, br" } });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-encoding"], "gzip");
    assert.match(String(r.headers["cache-control"]), /immutable/);
  });
});

describe("console: sign-in, cookie, CSRF, expiry, sign-out", () => {
  test("an admin key signs in: HttpOnly, SameSite=Strict, expiring cookie; the key is in no answer", async () => {
    const { setCookie, reply } = await signIn({ key: t.adminKey });
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, new RegExp(`; Max-Age=${TTL}`));
    assert.match(setCookie, /; Path=\/console/);
    assert.doesNotMatch(setCookie, /Secure/, "not over plain HTTP");
    assert.ok(!reply.body.includes(t.adminKey));
    assert.equal(reply.json.actor.scope, "admin");
  });

  test("over TLS the cookie is Secure", async () => {
    const tls = await testIssuer();
    try {
      await tls.app.register(consolePlugin, { service: tls.service, secure: true, assets: undefined });
      const r = await tls.app.inject({
        method: "POST",
        url: "/console/session",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({ key: tls.adminKey }),
      });
      assert.equal(r.statusCode, 200);
      assert.match(String(r.headers["set-cookie"]), /; Secure/);
    } finally {
      await tls.close();
    }
  });

  test("a runner key cannot sign in; a wrong key neither", async () => {
    const runner = await request("POST", "/console/session", { body: { key: runnerKey } });
    assert.equal(runner.status, 403);
    assert.match(runner.json.detail, /runner API key cannot sign in/);
    assert.equal(runner.headers["set-cookie"], undefined);
    const wrong = await request("POST", "/console/session", { body: { key: "klk_nope" } });
    assert.equal(wrong.status, 401);
  });

  test("every change needs the session's CSRF token, and our own Origin", async () => {
    const s = await signIn({ key: t.adminKey });
    const url = `/console/api/v1/organizations/${acme.org.id}/projects`;
    const none = await request("POST", url, { cookie: s.cookie, body: { name: "p1" } });
    assert.equal(none.status, 403);
    assert.match(none.json.detail, /CSRF/);
    const wrong = await request("POST", url, {
      cookie: s.cookie,
      csrf: "x".repeat(43),
      body: { name: "p1" },
    });
    assert.equal(wrong.status, 403);
    const foreign = await request("POST", url, {
      cookie: s.cookie,
      csrf: s.csrf,
      body: { name: "p1" },
      headers: { origin: "https://evil.example" },
    });
    assert.equal(foreign.status, 403);
    const del = await request("DELETE", "/console/session", { cookie: s.cookie });
    assert.equal(del.status, 403, "sign-out is a change too");
    const ok = await request("POST", url, { cookie: s.cookie, csrf: s.csrf, body: { name: "p1" } });
    assert.equal(ok.status, 201, ok.body);
    assert.equal(ok.json.name, "p1");
    // Reads need the session but no CSRF token.
    const read = await request("GET", url, { cookie: s.cookie });
    assert.equal(read.status, 200);
    const anonymous = await request("GET", url);
    assert.equal(anonymous.status, 401);
  });

  test("a session ends at its expiry", async () => {
    const s = await signIn({ key: t.adminKey });
    t.clock.advance((TTL - 1) * 1000);
    assert.equal((await request("GET", "/console/session", { cookie: s.cookie })).status, 200);
    t.clock.advance(1000);
    assert.equal((await request("GET", "/console/session", { cookie: s.cookie })).status, 401);
    assert.equal((await request("GET", "/console/api/v1/organizations", { cookie: s.cookie })).status, 401);
  });

  test("sign-out ends the session on the server, not only in the browser", async () => {
    const s = await signIn({ key: t.adminKey });
    const out = await request("DELETE", "/console/session", { cookie: s.cookie, csrf: s.csrf });
    assert.equal(out.status, 204);
    assert.match(String(out.headers["set-cookie"]), /Max-Age=0/);
    assert.equal((await request("GET", "/console/session", { cookie: s.cookie })).status, 401);
  });

  test("a revoked key's session stops working at once", async () => {
    const created = await t.service.apiKeys.createApiKey(OPERATOR, {
      name: "short-lived",
      scope: { kind: "org_admin", organizationId: acme.org.id },
    });
    const s = await signIn({ key: created.secret });
    await t.service.apiKeys.revokeApiKey(OPERATOR, acme.org.id, created.key.id);
    assert.equal((await request("GET", "/console/api/v1/organizations", { cookie: s.cookie })).status, 401);
  });

  test("a one-time sign-in code works once, and not after its five minutes", async () => {
    const code = await sessions.issueCode(t.adminKey);
    await signIn({ code });
    const again = await request("POST", "/console/session", { body: { code } });
    assert.equal(again.status, 401);
    const late = await sessions.issueCode(t.adminKey);
    t.clock.advance(sessions.codeTtlSeconds * 1000);
    assert.equal((await request("POST", "/console/session", { body: { code: late } })).status, 401);
  });
});

describe("console: the admin API acts as the session's key without its secret", () => {
  test("a delegation nonce works once, inside the process; a guessed one is refused", async () => {
    const forged = await request("GET", "/api/v1/organizations", {
      headers: { [DELEGATION_HEADER]: "a-guessed-nonce" },
    });
    assert.equal(forged.status, 401);
    const d = delegate(OPERATOR);
    const first = await request("GET", "/api/v1/organizations", {
      headers: { [DELEGATION_HEADER]: d.nonce },
    });
    assert.equal(first.status, 200, first.body);
    const again = await request("GET", "/api/v1/organizations", {
      headers: { [DELEGATION_HEADER]: d.nonce },
    });
    assert.equal(again.status, 401, "a nonce is taken on first use");
  });

  test("the CSRF token survives a reload and is not the session id; the store keeps neither in clear", async () => {
    const s = await signIn({ key: orgAdminKey });
    const reloaded = await request("GET", "/console/session", { cookie: s.cookie });
    assert.equal(reloaded.json.csrf, s.csrf);
    assert.notEqual(s.csrf, s.cookie);
    // Another ConsoleSessions over the same store (another process) knows the session.
    const elsewhere = new ConsoleSessions(t.service, TTL);
    assert.equal((await elsewhere.get(s.cookie)).actor.key.scope.kind, "org_admin");
    assert.equal(await elsewhere.checkCsrf(s.cookie, s.csrf), true);
    assert.equal(await elsewhere.checkCsrf(s.cookie, `${s.csrf}x`), false);
  });
});

describe("console: scopes are the admin API's", () => {
  test("an organization admin sees their organization and is refused another's", async () => {
    const s = await signIn({ key: orgAdminKey });
    const own = await request("GET", `/console/api/v1/organizations/${acme.org.id}/runs`, {
      cookie: s.cookie,
    });
    assert.equal(own.status, 200);
    const list = await request("GET", "/console/api/v1/organizations", { cookie: s.cookie });
    assert.deepEqual(
      list.json.organizations.map((o: Json) => o.id),
      [acme.org.id],
    );
    for (const url of [
      `v1/organizations/${other.id}`,
      `v1/organizations/${other.id}/runs`,
      "v1/signing-keys",
    ]) {
      const r = await request("GET", `/console/api/${url}`, { cookie: s.cookie });
      assert.equal(r.status, 403, url);
    }
    const preview = await request("POST", `/console/organizations/${other.id}/sub-preview`, {
      cookie: s.cookie,
      csrf: s.csrf,
      body: { subTemplate: "org:{organization}", environmentId: acme.env.id },
    });
    assert.ok(preview.status === 403 || preview.status === 404, preview.body);
  });
});

describe("console: live sub preview", () => {
  test("a template not yet saved renders for a run, and a value that would make it ambiguous is refused", async () => {
    const s = await signIn({ key: t.adminKey });
    const url = `/console/organizations/${acme.org.id}/sub-preview`;
    const ok = await request("POST", url, {
      cookie: s.cookie,
      csrf: s.csrf,
      body: { subTemplate: "project:{project}:env:{environment}", runId: acme.run.run.id },
    });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.json.claims.sub, "project:infra:env:prod");
    const saved = await t.service.tenancy.getOrganization(OPERATOR, acme.org.id);
    assert.equal(saved.settings.subTemplate, null, "a preview saves nothing");
    const ambiguous = await request("POST", url, {
      cookie: s.cookie,
      csrf: s.csrf,
      body: { subTemplate: "{project}-{deployer}", environmentId: acme.env.id, deployer: "blue-green" },
    });
    assert.equal(ambiguous.status, 422, ambiguous.body);
    assert.match(ambiguous.json.detail, /contains "-"/);
  });
});
