// biome-ignore-all lint/performance/useDomNodeTextContent: these are playwright Locator.innerText() calls (rendered text, cells apart), not the DOM property
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { CHROMIUM_MISSING, launchChromium, shot } from "../support/browser.js";
import { runCommand } from "../support/cli.js";
import { freePort } from "../support/ports.js";
import { curlRunToken, httpsJson, type ServeProcess, startServe } from "../support/serve.js";
import { makeTestTls, type TestTls } from "../support/tls.js";
import { tempDir } from "../support/tmp.js";

// The console in Debian's Chromium against a real `keyless serve` over HTTPS: sign in, create an
// environment, watch a run started from the command line appear, open its token, edit the `sub`
// template and watch the preview, rotate a key, the playground on seed 001's env0 policy, and an
// organization admin refused another organization. Screenshots go to test-output/console/.

// biome-ignore lint/suspicious/noExplicitAny: the admin API's JSON, read field by field.
type Json = any;

describe("console in a browser", { skip: CHROMIUM_MISSING }, () => {
  const dir = tempDir("keyless-console-");
  let tls: TestTls;
  let server: ServeProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let adminKey: string;
  let acme: Json;
  let globex: Json;
  let project: Json;
  let env: Json;
  const api = (method: string, path: string, body?: unknown, key = adminKey) =>
    httpsJson(method, `${base}${path}`, { ca: tls.ca, key, ...(body !== undefined ? { body } : {}) });

  before(async () => {
    tls = await makeTestTls(join(dir.path, "tls"));
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    server = await startServe(
      ["--port", String(port), "--tls-cert", tls.certFile, "--tls-key", tls.keyFile, "--log-level", "warn"],
      { PATH: process.env.PATH, HOME: dir.path, KEYLESS_DATA_DIR: join(dir.path, "data") },
    );
    adminKey = readFileSync(join(dir.path, "data", "admin-key"), "utf8").trim();
    acme = (
      await api("POST", "/api/v1/organizations", { name: "acme", allowedAudiences: ["sts.amazonaws.com"] })
    ).json;
    globex = (await api("POST", "/api/v1/organizations", { name: "globex" })).json;
    project = (await api("POST", `/api/v1/organizations/${acme.id}/projects`, { name: "infra" })).json;
    env = (
      await api("POST", `/api/v1/organizations/${acme.id}/projects/${project.id}/environments`, {
        name: "prod",
      })
    ).json;
    browser = await launchChromium();
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    dir.cleanup();
  });

  test("sign in with an API key: HttpOnly Secure SameSite=Strict cookie, no secret in the page or its storage", async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel("API key").waitFor();
    await page.screenshot({ path: shot("01-sign-in") });
    await page.getByLabel("API key").fill(adminKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    const [cookie, ...others] = await context.cookies();
    assert.equal(others.length, 0);
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.secure, true);
    assert.equal(cookie?.sameSite, "Strict");
    assert.ok((cookie?.expires ?? 0) > Date.now() / 1000, "the cookie expires");
    // Evaluated in the page (a string: this file is compiled without the DOM's types).
    const stored = await page.evaluate(
      "({ cookie: document.cookie, local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) })",
    );
    assert.deepEqual(stored, { cookie: "", local: "{}", session: "{}" });
    assert.ok(!(await page.content()).includes(adminKey), "the key is not in the page");
    assert.equal(await page.getByLabel("API key").count(), 0, "the key field is gone");
  });

  test("create an environment", async () => {
    await page.goto(`${base}/console/#/orgs/${acme.id}`);
    const field = page.getByLabel("New environment in infra");
    await field.fill("staging");
    await page.getByRole("button", { name: "Create environment" }).click();
    await page.locator('li[data-env="staging"]').waitFor();
    const listed = (await api("GET", `/api/v1/organizations/${acme.id}/projects/${project.id}/environments`))
      .json;
    assert.deepEqual(listed.environments.map((e: Json) => e.name).sort(), ["prod", "staging"]);
    await page.screenshot({ path: shot("02-organization"), fullPage: true });
  });

  let run: Json;
  test("a run started from the command line appears in the list, and its token is shown decoded", async () => {
    await page.goto(`${base}/console/#/runs/${acme.id}`);
    await page.getByRole("table", { name: "runs" }).waitFor();
    const created = await runCommand("curl", [
      "-sS",
      "--fail-with-body",
      "--cacert",
      tls.caFile,
      "-H",
      `Authorization: Bearer ${adminKey}`,
      "-H",
      "content-type: application/json",
      "-d",
      JSON.stringify({ environmentId: env.id, phase: "apply", deployer: "alice@example.com" }),
      `${base}/api/v1/organizations/${acme.id}/runs`,
    ]);
    assert.equal(created.code, 0, created.stderr + created.stdout);
    run = JSON.parse(created.stdout);
    const row = page.locator(`tr[data-run="${run.run.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /running\s+apply\s+infra \/ prod\s+alice@example\.com/);
    await page.screenshot({ path: shot("03-runs"), fullPage: true });

    const minted = await curlRunToken(run, tls.caFile, "sts.amazonaws.com");
    assert.equal(minted.code, 0, minted.stderr);
    const jwt = JSON.parse(minted.stdout).value as string;
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString());
    await row.getByRole("link").click();
    const token = page.locator("article.token").first();
    await token.waitFor();
    const shown = JSON.parse(await token.locator('pre[data-part="claims"]').innerText());
    for (const k of ["iss", "sub", "aud", "exp", "iat"]) assert.deepEqual(shown[k], claims[k], k);
    const header = JSON.parse(await token.locator('pre[data-part="header"]').innerText());
    assert.equal(header.kid, JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString()).kid);
    assert.match(await token.innerText(), /expires in \d+ minutes/);
    assert.ok(!(await page.content()).includes(jwt), "the token itself is not in the page");
    await page.screenshot({ path: shot("04-run-token"), fullPage: true });

    // The list follows the run to its end.
    await page.goto(`${base}/console/#/runs/${acme.id}`);
    await row.waitFor();
    const done = await api("POST", `/api/v1/organizations/${acme.id}/runs/${run.run.id}/complete`, {
      status: "succeeded",
    });
    assert.equal(done.status, 200);
    await row.locator(".status.succeeded").waitFor();
  });

  test("editing the sub template changes the live preview; an ambiguous one is refused", async () => {
    await page.goto(`${base}/console/#/oidc/${acme.id}`);
    const sub = page.locator("code.sub-preview");
    await sub.filter({ hasText: "org:acme" }).waitFor();
    const before = await sub.innerText();
    await page
      .getByLabel("Subject (`sub`) template")
      .fill("project:{project}:env:{environment}:deployer:{deployer}");
    await sub.filter({ hasText: "project:infra:env:prod:deployer:alice@example.com" }).waitFor();
    assert.notEqual(before, await sub.innerText());
    await page.screenshot({ path: shot("05-oidc-preview"), fullPage: true });
    await page.getByLabel("Subject (`sub`) template").fill("{project}.{deployer}");
    const refusal = page.locator("p.refusal");
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /contains "\."/);
    await page.screenshot({ path: shot("06-oidc-refusal"), fullPage: true });
  });

  test("rotate a key from the keys page: it says what will happen first", async () => {
    await page.goto(`${base}/console/#/keys`);
    await page.locator("article[data-state]").first().waitFor();
    const beforeCount = await page.locator("article[data-state]").count();
    await page.getByRole("button", { name: "Rotate…" }).click();
    const dialog = page.getByRole("alertdialog");
    assert.match(await dialog.innerText(), /published now and starts signing after the overlap/);
    await page.screenshot({ path: shot("07-keys-confirm"), fullPage: true });
    await dialog.getByRole("button", { name: "Rotate" }).click();
    await page.locator('article[data-state="pending"]').waitFor();
    assert.equal(await page.locator("article[data-state]").count(), beforeCount + 1);
    const keys = (await api("GET", "/api/v1/signing-keys")).json.signingKeys;
    assert.ok(keys.some((k: Json) => k.state === "pending"));
    // Each timeline shows AWS's JWKS cache (15 minutes, keyless's floor for the overlap): the new key is in
    // every cached copy 15 minutes after it is published, long before it signs; a key is safe to remove
    // 15 minutes after it leaves the JWKS.
    const session: Json = await page.evaluate(async () => (await fetch("/console/session")).json());
    assert.equal(session.jwksCacheSeconds, 900);
    for (const k of keys) {
      const timeline = page.getByRole("list", { name: `timeline of ${k.kid}` });
      const stageAt = (stage: string) =>
        timeline.locator(`li[data-stage="${stage}"]`).getAttribute("data-at");
      const cacheAt = Date.parse(k.createdAt) + 900_000;
      assert.equal(await stageAt("cache"), new Date(cacheAt).toISOString());
      // A rotation's key signs only once every cached copy has it (the first key signs at once: no
      // verifier has fetched this issuer's JWKS before its first token).
      if (k.state === "pending")
        assert.ok(cacheAt <= Date.parse(k.activateAt), "the overlap outlasts the cache");
      assert.equal(
        await stageAt("safe"),
        k.unpublishAt ? new Date(Date.parse(k.unpublishAt) + 900_000).toISOString() : "",
      );
    }
    const pending = keys.find((k: Json) => k.state === "pending");
    const pendingTimeline = page.getByRole("list", { name: `timeline of ${pending.kid}` });
    assert.match(await pendingTimeline.innerText(), /in AWS's cache\s*in 1[45] minutes/);
    assert.match(await page.locator(".hint").first().innerText(), /up to 15 minutes/);
    await page.screenshot({ path: shot("08-keys"), fullPage: true });
  });

  test("the playground decides seed 001's env0 policy in the page: allowed and refused tokens", async () => {
    const policy = readFileSync(
      new URL("../../../test/fixtures/lint/seeds/env0-sub.json", import.meta.url),
      "utf8",
    );
    const claims = (sub: string) =>
      JSON.stringify({
        iss: "https://login.app.env0.com/",
        sub,
        aud: ["https://prod.env0.com", "https://env0.auth0.com/userinfo"],
        azp: "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b",
      });
    // Nothing of the policy or the claims leaves the page (the page's own list loads may).
    const requests: string[] = [];
    page.on("request", (r) => requests.push(`${r.url()} ${r.postData() ?? ""}`));
    await page.goto(`${base}/console/#/playground`);
    await page.getByLabel("Trust policy (JSON)").fill(policy);
    await page.getByLabel("Claims (JSON) or a token").fill(claims("auth0|632b8219674bde0224a96141"));
    const decision = page.locator("p.decision");
    await decision.filter({ hasText: "ALLOW" }).waitFor();
    await page.screenshot({ path: shot("09-playground-allow"), fullPage: true });
    await page.getByLabel("Claims (JSON) or a token").fill(claims("auth0|x"));
    await decision.filter({ hasText: "DENY" }).waitFor();
    const trace = await page.getByRole("region", { name: "decision" }).innerText();
    assert.ok(
      trace.includes(
        'StringEquals login.app.env0.com/:sub: token has ["auth0|x"], policy wants ["auth0|632b8219674bde0224a96141"] → no match',
      ),
      trace,
    );
    assert.match(
      await page.getByRole("region", { name: "lint findings" }).innerText(),
      /Lint findings \(\d+\)/,
    );
    const leaked = requests.filter((r) =>
      /632b8219674bde0224a96141|hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b|auth0/.test(r),
    );
    assert.deepEqual(leaked, [], "the policy and the claims never leave the page");
    await page.screenshot({ path: shot("10-playground-deny"), fullPage: true });
  });

  test("the audit page lists what happened, filtered by kind, actor and time on the server", async () => {
    await page.goto(`${base}/console/#/audit`);
    const table = page.getByRole("table", { name: "audit entries" });
    await table.locator("tr", { hasText: "token.mint" }).first().waitFor();
    await page.getByPlaceholder("token.mint").fill("run.create");
    await page.getByPlaceholder("token.mint").press("Tab");
    await table.locator("tbody tr", { hasNotText: "run.create" }).first().waitFor({ state: "detached" });
    assert.ok((await table.locator("tbody tr").count()) >= 1);
    await page.screenshot({ path: shot("11-audit"), fullPage: true });

    // The actor filter is the admin API's (the whole log, not the page on screen): the run's own entries
    // are its token mints.
    await page.getByPlaceholder("token.mint").fill("");
    await page.getByPlaceholder("token.mint").press("Tab");
    const asked = page.waitForRequest((r) => r.url().includes(`actor=run%3A${run.run.id}`));
    await page.getByPlaceholder("key:").fill(`run:${run.run.id}`);
    await page.getByPlaceholder("key:").press("Tab");
    const sent = new URL((await asked).url());
    assert.equal(sent.searchParams.get("actor"), `run:${run.run.id}`);
    assert.equal(sent.searchParams.get("kind"), null);
    await table.locator("tbody tr", { hasNotText: "token.mint" }).first().waitFor({ state: "detached" });
    await table
      .locator("tbody tr", { hasText: `run:${run.run.id}` })
      .first()
      .waitFor();
    await page.screenshot({ path: shot("11b-audit-actor"), fullPage: true });
    // A time window after now holds nothing.
    const later = new Date(Date.now() + 3600_000);
    const local = new Date(later.getTime() - later.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    const windowed = page.waitForRequest((r) => r.url().includes("after="));
    await page.getByLabel("After").fill(local);
    await page.getByLabel("After").press("Tab");
    await windowed;
    await table.locator("tbody tr").first().waitFor({ state: "detached" });
  });

  test("readable at 390 px", async () => {
    const phone = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 390, height: 844 },
    });
    try {
      await phone.addCookies(await context.cookies());
      const p = await phone.newPage();
      await p.goto(`${base}/console/#/runs/${acme.id}`);
      await p.locator(`tr[data-run="${run.run.id}"]`).waitFor();
      const overflow = Number(await p.evaluate("document.documentElement.scrollWidth - window.innerWidth"));
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
      await p.screenshot({ path: shot("12-runs-390px"), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  test("no secret in any page: neither the API key nor a run's request token", async () => {
    for (const route of [
      "runs",
      `runs/${acme.id}/${run.run.id}`,
      "orgs",
      `orgs/${acme.id}`,
      "oidc",
      "keys",
      "audit",
      "playground",
    ]) {
      await page.goto(`${base}/console/#/${route}`);
      await page.getByRole("heading", { level: 2 }).first().waitFor();
      await page.waitForLoadState("networkidle");
      const html = await page.content();
      assert.ok(!html.includes(adminKey), `${route}: the API key`);
      assert.ok(!html.includes(run.requestToken), `${route}: the run's request token`);
    }
  });

  test("sign-out ends the session", async () => {
    await page.goto(`${base}/console/#/runs`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key").waitFor();
    assert.deepEqual(await context.cookies(), []);
  });

  test("an organization admin sees their organization and is refused another's pages", async () => {
    const key = (
      await api("POST", `/api/v1/organizations/${acme.id}/api-keys`, {
        name: "acme admin",
        scope: { kind: "org_admin" },
      })
    ).json;
    const secret = key.secret as string;
    assert.ok(secret);
    const other = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const p = await other.newPage();
      await p.goto(`${base}/console/`);
      await p.getByLabel("API key").fill(secret);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByText("(organization admin)").waitFor();
      await p.goto(`${base}/console/#/orgs`);
      await p.getByRole("link", { name: "acme" }).waitFor();
      assert.equal(await p.getByRole("link", { name: "globex" }).count(), 0);
      await p.goto(`${base}/console/#/orgs/${globex.id}`);
      const alert = p.getByRole("alert");
      await alert.waitFor();
      assert.match(await alert.innerText(), /another organization \(403\)/);
      await p.screenshot({ path: shot("13-org-admin-refused"), fullPage: true });
    } finally {
      await other.close();
    }
  });
});
