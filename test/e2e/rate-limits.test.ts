import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startDev } from "../../src/dev/start.js";
import type { Json } from "../support/issuer.js";
import { freePort } from "../support/ports.js";
import { type ServeProcess, startSeededServe } from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

// Request budgets of `keyless serve` (src/server/rate-limits.ts), against a real server: each loopback
// address 127.0.0.x is a distinct source address (Linux routes all of 127/8 to lo). The window is an
// hour, so no assertion depends on timing.

interface Answer {
  status: number;
  json: Json;
  headers: Record<string, string | string[] | undefined>;
}

function call(
  url: string,
  options: { method?: string; key?: string; body?: unknown; from?: string; ca?: Buffer } = {},
): Promise<Answer> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: options.method ?? "GET",
        agent: false,
        ...(options.from ? { localAddress: options.from } : {}),
        ...(options.ca ? { ca: options.ca } : {}),
        headers: {
          ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
          ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          text += d;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            json: text ? JSON.parse(text) : undefined,
            headers: res.headers,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body !== undefined ? JSON.stringify(options.body) : undefined);
  });
}

/** A 429 as documented: problem document of type rate-limited, Retry-After within the window. */
function assertLimited(a: Answer, what: RegExp): void {
  assert.equal(a.status, 429, JSON.stringify(a.json));
  assert.match(String(a.headers["content-type"]), /^application\/problem\+json/);
  assert.equal(a.json.type, "https://keyless.dev/problems/rate-limited");
  assert.equal(a.json.status, 429);
  assert.match(a.json.detail, what);
  const retryAfter = Number(a.headers["retry-after"]);
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 3600,
    `Retry-After ${retryAfter}`,
  );
  assert.equal(a.json.retryAfterSeconds, retryAfter);
}

describe("keyless serve rate limits", () => {
  const dir = tempDir();
  let server: ServeProcess;
  let base: string;
  let admin: string;
  let org: string;
  const runs: { url: string; token: string }[] = [];

  before(async () => {
    const seeded = await startSeededServe(
      dir.path,
      ["--token-rate-limit-per-run", "3", "--token-rate-limit-per-address", "5", "--rate-limit-window", "1h"],
      // The admin budget from the environment, as an operator's unit file would set it.
      { KEYLESS_ADMIN_RATE_LIMIT_PER_KEY: "20" },
    );
    ({ server, base, admin, orgId: org } = seeded);
    for (let i = 0; i < 4; i++) {
      const run = i === 0 ? seeded : await seeded.startRun();
      assert.ok(run.requestToken, JSON.stringify(run));
      runs.push({ url: `${run.requestUrl}&audience=sts.amazonaws.com`, token: run.requestToken });
    }
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  const mint = (i: number, from: string, token = runs[i]!.token) =>
    call(runs[i]!.url.replace("127.0.0.1", new URL(base).hostname), { key: token, from });

  test("token endpoint, per run: the 4th request of run 0 gets 429 + Retry-After; run 1 is unaffected", async () => {
    for (let n = 0; n < 3; n++) assert.equal((await mint(0, "127.0.0.2")).status, 200);
    assertLimited(await mint(0, "127.0.0.2"), /requests for this run/);
    // Still refused from another address: the budget is the run's.
    assertLimited(await mint(0, "127.0.0.5"), /for this run/);
    assert.equal((await mint(1, "127.0.0.2")).status, 200);
    // Requests with a wrong request token spend their own budget, not the run's real token's.
    for (let n = 0; n < 4; n++) assert.equal((await mint(1, "127.0.0.6", `klr_guessed${n}`)).status, 401);
    // (From a fresh address: 127.0.0.2 has spent its 5.)
    assert.equal((await mint(1, "127.0.0.7")).status, 200);
  });

  test("token endpoint, per source address: the 6th request from 127.0.0.3 gets 429; other addresses are unaffected", async () => {
    for (let n = 0; n < 3; n++) assert.equal((await mint(2, "127.0.0.3")).status, 200);
    for (let n = 0; n < 2; n++) assert.equal((await mint(3, "127.0.0.3")).status, 200);
    assertLimited(await mint(3, "127.0.0.3"), /requests from this address/);
    // Run 3 spent 2 of its 3 (the refused request stopped at the address check), from elsewhere.
    assert.equal((await mint(3, "127.0.0.4")).status, 200);
  });

  test("admin API, per API key: the 21st request with a key gets 429; another key is unaffected", async () => {
    const created = await call(`${base}/api/v1/api-keys`, {
      method: "POST",
      key: admin,
      body: { name: "ci" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const other = created.json.secret as string;
    assert.ok(other);
    const list = () => call(`${base}/api/v1/organizations/${org}/runs`, { key: other });
    for (let n = 0; n < 20; n++) assert.equal((await list()).status, 200);
    assertLimited(await list(), /requests with this API key/);
    const mine = await call(`${base}/api/v1/organizations/${org}/runs`, { key: admin });
    assert.equal(mine.status, 200, JSON.stringify(mine.json));
  });
});

describe("keyless dev has no rate limits", () => {
  const dir = tempDir();
  let close: (() => Promise<void>) | undefined;
  after(async () => {
    await close?.();
    dir.cleanup();
  });

  test("one run mints more tokens than serve's default budget (120 a minute per run)", async () => {
    const dev = await startDev({
      dataDir: join(dir.path, "dev"),
      host: "127.0.0.1",
      issuerPort: await freePort(),
      awsPort: await freePort(),
    });
    close = () => dev.close();
    const ca = readFileSync(dev.info.caFile);
    const url = `${dev.info.requestUrl}&audience=sts.amazonaws.com`;
    let ok = 0;
    for (let batch = 0; batch < 13; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => call(url, { key: dev.info.requestToken, ca })),
      );
      for (const a of answers) {
        assert.equal(a.status, 200, JSON.stringify(a.json));
        ok++;
      }
    }
    assert.equal(ok, 130);
  });
});
