import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEmulator } from "../support/emulator.js";
import { freePort } from "../support/ports.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { type ServeProcess, seedApplyRunOverHttp, startServe } from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

/**
 * GET /metrics of real `keyless serve` and `keyless emulator` processes, scraped as Prometheus would and
 * parsed from the exposition text: the counters move by exactly what the test did, with the right labels,
 * and with `--workers 2` one scrape (of whichever worker) counts the work of both.
 */

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The text format's sample lines (https://prometheus.io/docs/instrumenting/exposition_formats/). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels` (0 when there is none). */
function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

/** One HTTP request on a fresh connection (so node:cluster hands each to the next worker). */
function http(
  method: string,
  url: string,
  options: { bearer?: string; body?: string; contentType?: string } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: {
          connection: "close",
          ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
          ...(options.body !== undefined
            ? { "content-type": options.contentType ?? "application/json" }
            : {}),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

async function scrape(base: string): Promise<Sample[]> {
  const r = await http("GET", `${base}/metrics`);
  assert.equal(r.status, 200, r.body);
  assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return parseExposition(r.body);
}

/** An organization `acme` (audience sts.amazonaws.com), a project, an environment and one live run. */
const seedRun = (base: string, adminKey: string) =>
  seedApplyRunOverHttp(base, adminKey, { deployer: "alice@example.com" });

const MINTS = "keyless_token_mints_total";

describe("keyless serve --aws-emulator: GET /metrics", () => {
  const dir = tempDir();
  let server: ServeProcess;
  let base: string;
  let adminKey: string;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = await startServe(
      ["--port", String(port), "--issuer-url", base, "--signing-alg", "ES256", "--aws-emulator"],
      { PATH: process.env.PATH, HOME: dir.path, KEYLESS_DATA_DIR: join(dir.path, "data") },
    );
    adminKey = readFileSync(join(dir.path, "data", "admin-key"), "utf8").trim();
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test("mints and refusals move the counters by exactly what happened, with organization, alg and outcome", async () => {
    const run = await seedRun(base, adminKey);
    const before = await scrape(base);
    const url = `${run.requestUrl}&audience=sts.amazonaws.com`;
    for (let i = 0; i < 3; i++)
      assert.equal((await http("GET", url, { bearer: run.requestToken })).status, 200);
    assert.equal((await http("GET", url, { bearer: "klr_not-a-request-token" })).status, 401);
    const wrongAudience = await http("GET", `${run.requestUrl}&audience=evil.example.com`, {
      bearer: run.requestToken,
    });
    assert.equal(wrongAudience.status, 400, wrongAudience.body);
    const after = await scrape(base);

    const moved = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    assert.equal(moved(MINTS, { organization: "acme", alg: "ES256", outcome: "issued" }), 3);
    assert.equal(moved(MINTS, { organization: "", alg: "", outcome: "unauthorized" }), 1);
    assert.equal(moved(MINTS, { organization: "", alg: "", outcome: "unknown-audience" }), 1);
    // Every mint sample of the scrape is one of those three series (nothing else was counted).
    const total = (s: Sample[]) => s.filter((x) => x.name === MINTS).reduce((a, x) => a + x.value, 0);
    assert.equal(total(after) - total(before), 5);

    const latency = "keyless_token_request_duration_seconds_count";
    assert.equal(moved(latency, { status: "200" }), 3);
    assert.equal(moved(latency, { status: "401" }), 1);
    assert.equal(moved(latency, { status: "400" }), 1);
    assert.ok(value(after, "keyless_token_request_duration_seconds_sum", { status: "200" }) > 0);
    // The admin calls of seedRun, by route pattern (never the raw URL with its ids).
    const admin = "keyless_admin_request_duration_seconds_count";
    assert.equal(value(after, admin, { method: "POST", route: "/api/v1/organizations", status: "201" }), 1);
    assert.equal(
      value(after, admin, { method: "POST", route: "/api/v1/organizations/:org/runs", status: "201" }),
      1,
    );
    assert.ok(!after.some((s) => s.labels.route?.includes(run.run.id)));
  });

  test("signing keys: the active key's age, by the kid the JWKS publishes; the next rotation is ahead", async () => {
    const jwks = JSON.parse((await http("GET", `${base}/.well-known/jwks`)).body) as {
      keys: { kid: string }[];
    };
    const samples = await scrape(base);
    const ages = samples.filter((s) => s.name === "keyless_signing_key_age_seconds");
    assert.deepEqual(
      ages.map((s) => [s.labels.kid, s.labels.alg, s.labels.state]),
      [[jwks.keys[0]!.kid, "ES256", "active"]],
    );
    assert.ok(ages[0]!.value >= 0 && ages[0]!.value < 3600, String(ages[0]!.value));
    // Default schedule: 30 days after the key's creation.
    const next = value(samples, "keyless_signing_key_next_rotation_seconds");
    assert.ok(next > 29 * 86400 && next <= 30 * 86400, String(next));
    // SQLite: no pool to report.
    assert.equal(samples.filter((s) => s.name === "keyless_database_pool_connections").length, 0);
  });

  test("a refused STS exchange is counted by action, outcome and the AWS error code", async () => {
    const before = await scrape(base);
    // A well-formed request for a role that does not exist: STS refuses it.
    const form = new URLSearchParams({
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: "arn:aws:iam::123456789012:role/nobody",
      RoleSessionName: "metrics-test",
      WebIdentityToken: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    }).toString();
    const refused = await http("POST", `${base}/`, {
      body: form,
      contentType: "application/x-www-form-urlencoded",
    });
    assert.equal(refused.status, 400, refused.body);
    const code = /<Code>([^<]+)<\/Code>/.exec(refused.body)?.[1];
    assert.ok(code, refused.body);
    const tooShort = await http("POST", `${base}/`, {
      body: form.replace("metrics-test", "x"),
      contentType: "application/x-www-form-urlencoded",
    });
    assert.match(tooShort.body, /<Code>ValidationError<\/Code>/);
    const after = await scrape(base);
    const X = "keyless_sts_exchanges_total";
    const action = "AssumeRoleWithWebIdentity";
    const moved = (labels: Record<string, string>) => value(after, X, labels) - value(before, X, labels);
    assert.notEqual(code, "ValidationError");
    assert.equal(moved({ action, outcome: "refused", reason: code }), 1);
    assert.equal(moved({ action, outcome: "refused", reason: "ValidationError" }), 1);
    assert.equal(moved({ action, outcome: "issued", reason: "" }), 0);
  });
});

describe("keyless serve --workers 2: one scrape counts both workers", () => {
  const dir = tempDir();
  let server: ServeProcess;
  let base: string;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = await startServe(["--port", String(port), "--issuer-url", base, "--workers", "2"], {
      PATH: process.env.PATH,
      HOME: dir.path,
      KEYLESS_DATA_DIR: join(dir.path, "data"),
    });
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test("mints spread over both workers (a connection each) are all in every scrape", async () => {
    const adminKey = readFileSync(join(dir.path, "data", "admin-key"), "utf8").trim();
    const run = await seedRun(base, adminKey);
    const url = `${run.requestUrl}&audience=sts.amazonaws.com`;
    // node:cluster hands connections round-robin (https://nodejs.org/api/cluster.html#how-it-works), so
    // six one-connection mints land three on each worker: a scrape answered by one worker's registry
    // alone would say 3.
    for (let i = 0; i < 6; i++) {
      assert.equal((await http("GET", url, { bearer: run.requestToken })).status, 200);
    }
    for (let i = 0; i < 4; i++) {
      const samples = await scrape(base);
      assert.equal(value(samples, MINTS, { organization: "acme", alg: "RS256", outcome: "issued" }), 6);
      assert.equal(value(samples, "keyless_token_request_duration_seconds_count", { status: "200" }), 6);
      // Key gauges are not summed: one active key, one age.
      assert.equal(samples.filter((s) => s.name === "keyless_signing_key_age_seconds").length, 1);
    }
  });
});

describe("keyless emulator --workers 2: GET /metrics", () => {
  const dir = tempDir();
  test("refused exchanges on both workers are summed in one scrape", async () => {
    const emulator = await startEmulator(join(dir.path, "emu"), ["--workers", "2"]);
    try {
      const form = new URLSearchParams({
        Action: "AssumeRoleWithWebIdentity",
        Version: "2011-06-15",
        RoleArn: "arn:aws:iam::123456789012:role/nobody",
        RoleSessionName: "x",
        WebIdentityToken: "abc",
      }).toString();
      for (let i = 0; i < 4; i++) {
        const r = await http("POST", `${emulator.endpoint}/`, {
          body: form,
          contentType: "application/x-www-form-urlencoded",
        });
        assert.match(r.body, /<Code>ValidationError<\/Code>/);
      }
      for (let i = 0; i < 3; i++) {
        const samples = await scrape(emulator.endpoint);
        assert.equal(
          value(samples, "keyless_sts_exchanges_total", {
            action: "AssumeRoleWithWebIdentity",
            outcome: "refused",
            reason: "ValidationError",
          }),
          4,
        );
      }
    } finally {
      await emulator.stop();
      dir.cleanup();
    }
  });
});

describe("keyless serve on PostgreSQL: the pool's connections", () => {
  const dir = tempDir();
  let pg: TestPostgres | undefined;
  let server: ServeProcess | undefined;
  after(async () => {
    await server?.stop();
    pg?.stop();
    dir.cleanup();
  });

  test("total, idle and waiting, after traffic that used the pool", async (t) => {
    pg = await startPostgres();
    if (!pg) return t.skip("initdb/pg_ctl not installed");
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = await startServe(["--port", String(port), "--issuer-url", base], {
      PATH: process.env.PATH,
      HOME: dir.path,
      KEYLESS_DATA_DIR: join(dir.path, "data"),
      KEYLESS_DATABASE: pg.url,
    });
    const adminKey = readFileSync(join(dir.path, "data", "admin-key"), "utf8").trim();
    const run = await seedRun(base, adminKey);
    const url = `${run.requestUrl}&audience=sts.amazonaws.com`;
    await Promise.all([1, 2, 3, 4].map(() => http("GET", url, { bearer: run.requestToken })));
    const samples = await scrape(base);
    const pool = (state: string) => value(samples, "keyless_database_pool_connections", { state });
    assert.ok(pool("total") >= 1 && pool("total") <= 10, String(pool("total")));
    assert.ok(pool("idle") <= pool("total"));
    assert.equal(pool("waiting"), 0);
    assert.equal(value(samples, MINTS, { organization: "acme", alg: "RS256", outcome: "issued" }), 4);
  });
});

describe("keyless serve --workers 2 --no-metrics", () => {
  const dir = tempDir();
  let server: ServeProcess | undefined;
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test("no /metrics route, and the workers still mint (the primary keeps the audit store open)", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = await startServe(
      ["--port", String(port), "--issuer-url", base, "--workers", "2", "--no-metrics"],
      { PATH: process.env.PATH, HOME: dir.path, KEYLESS_DATA_DIR: join(dir.path, "data") },
    );
    const adminKey = readFileSync(join(dir.path, "data", "admin-key"), "utf8").trim();
    const run = await seedRun(base, adminKey);
    const url = `${run.requestUrl}&audience=sts.amazonaws.com`;
    for (let i = 0; i < 4; i++) {
      const r = await http("GET", url, { bearer: run.requestToken });
      assert.equal(r.status, 200, r.body);
    }
    assert.equal((await http("GET", `${base}/metrics`)).status, 404);
  });
});
