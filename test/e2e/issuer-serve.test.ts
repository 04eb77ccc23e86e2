import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import { runCommand, runKeyless } from "../support/cli.js";
import type { Json } from "../support/issuer.js";
import { freePort } from "../support/ports.js";
import {
  curlRunToken,
  httpsJson,
  mintAuditRows,
  type ServeProcess,
  seedApplyRunOverHttp,
  startSeededServe,
  startServe,
} from "../support/serve.js";
import { makeTestTls, type TestTls } from "../support/tls.js";
import { tempDir } from "../support/tmp.js";

/** fetch for jose that trusts the test CA (Node's fetch cannot take a CA per call). */
function fetchTrusting(ca: Buffer) {
  return async (url: string, init: RequestInit) => {
    const res = await httpsJson("GET", url, { ca });
    void init;
    return new Response(JSON.stringify(res.json), {
      status: res.status,
      headers: { "content-type": "application/json" },
    });
  };
}

const VERIFY_PY = `
import json, ssl, sys, urllib.request
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
issuer, token, audience, cafile = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=cafile)
get = lambda url: json.load(urllib.request.urlopen(url, context=ctx))
discovery = get(issuer.rstrip("/") + "/.well-known/openid-configuration")
assert discovery["issuer"] == issuer, discovery
keys = KeySet.import_key_set(get(discovery["jwks_uri"]))
tok = jwt.decode(token, keys, algorithms=discovery["id_token_signing_alg_values_supported"])
JWTClaimsRegistry(iss={"essential": True, "value": issuer}, aud={"essential": True, "value": audience}, sub={"essential": True}, exp={"essential": True}).validate(tok.claims)
print(json.dumps({"header": tok.header, "claims": tok.claims}))
`;

for (const alg of ["RS256", "ES256"] as const) {
  describe(`keyless serve over HTTPS, ${alg}: a job's token verified by independent verifiers`, () => {
    const dir = tempDir();
    let tls: TestTls;
    let server: ServeProcess;
    let issuer: string;
    let env: NodeJS.ProcessEnv;
    let adminKey: string;
    let run: { requestUrl: string; requestToken: string; run: { id: string } };
    let orgId: string;

    before(async () => {
      tls = await makeTestTls(dir.path);
      const port = await freePort();
      issuer = `https://127.0.0.1:${port}`;
      env = {
        PATH: process.env.PATH,
        HOME: dir.path,
        AWS_CONFIG_FILE: join(dir.path, "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(dir.path, "aws-credentials"),
        KEYLESS_DATA_DIR: join(dir.path, "data"),
      };
      server = await startServe(
        [
          "--port",
          String(port),
          "--issuer-url",
          issuer,
          "--tls-cert",
          tls.certFile,
          "--tls-key",
          tls.keyFile,
          "--signing-alg",
          alg,
        ],
        env,
      );
      adminKey = readFileSync(join(dir.path, "data", "admin-key"), "utf8").trim();
      const seeded = await seedApplyRunOverHttp(issuer, adminKey, {
        ca: tls.ca,
        deployer: "alice@example.com",
        attributes: { ref: "refs/heads/main", commit: "0123abc" },
      });
      orgId = seeded.orgId;
      run = seeded;
      assert.ok(run.requestToken, JSON.stringify(run));
    });
    after(async () => {
      await server?.stop();
      dir.cleanup();
    });

    test("first start: the admin key is printed once and saved 0600; never in the logs", () => {
      assert.ok(server.stdout().includes(adminKey));
      assert.equal(statSync(join(dir.path, "data", "admin-key")).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir.path, "data", "kek")).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir.path, "data", "keyless.db")).mode & 0o777, 0o600);
      assert.ok(!server.stderr().includes(adminKey));
    });

    test("discovery and JWKS: the issuer, kid/alg/use, cache headers", async () => {
      const d = await httpsJson("GET", `${issuer}/.well-known/openid-configuration`, { ca: tls.ca });
      assert.equal(d.json.issuer, issuer);
      assert.equal(d.json.jwks_uri, `${issuer}/.well-known/jwks`);
      assert.match(String(d.headers["cache-control"]), /max-age=\d+/);
      const jwks = await httpsJson("GET", d.json.jwks_uri, { ca: tls.ca });
      assert.equal(jwks.json.keys.length, 1);
      const [k] = jwks.json.keys;
      assert.equal(k.alg, alg);
      assert.equal(k.use, "sig");
      assert.ok(k.kid);
      assert.equal(k.d, undefined);
      assert.match(String(jwks.headers["cache-control"]), /public, max-age=\d+/);
    });

    test("the job fetches its token with curl; jose (remote JWKS from discovery) and Python joserfc accept it", async () => {
      const curl = await curlRunToken(run, tls.caFile, "sts.amazonaws.com");
      assert.equal(curl.code, 0, curl.stderr + curl.stdout);
      const token = JSON.parse(curl.stdout).value as string;

      const discovery = (await httpsJson("GET", `${issuer}/.well-known/openid-configuration`, { ca: tls.ca }))
        .json;
      const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), { [customFetch]: fetchTrusting(tls.ca) });
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer,
        audience: "sts.amazonaws.com",
      });
      assert.equal(protectedHeader.alg, alg);
      assert.equal(payload.sub, "org:acme:project:infra:env:prod:phase:apply");
      assert.equal(payload.run_id, run.run.id);
      assert.equal(payload.commit, "0123abc");

      const py = await runCommand("python3", [
        "-c",
        VERIFY_PY,
        issuer,
        token,
        "sts.amazonaws.com",
        tls.caFile,
      ]);
      assert.equal(py.code, 0, py.stderr);
      const verified = JSON.parse(py.stdout);
      assert.equal(verified.header.alg, alg);
      assert.equal(verified.claims.sub, payload.sub);
      assert.equal(verified.claims.jti, payload.jti);

      const tampered = `${token.slice(0, -4)}${token.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
      const bad = await runCommand("python3", [
        "-c",
        VERIFY_PY,
        issuer,
        tampered,
        "sts.amazonaws.com",
        tls.caFile,
      ]);
      assert.notEqual(bad.code, 0, "joserfc refuses a tampered token: the check above is not vacuous");
    });

    test("keyless token writes a 0600 file; keyless decode shows it with expiry in words", async () => {
      const file = join(dir.path, "web-identity-token");
      const jobEnv = {
        ...env,
        KEYLESS_ID_TOKEN_REQUEST_URL: run.requestUrl,
        KEYLESS_ID_TOKEN_REQUEST_TOKEN: run.requestToken,
      };
      const r = await runKeyless(
        ["token", "--audience", "sts.amazonaws.com", "--out", file, "--ca", tls.caFile],
        { env: jobEnv },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "", "the token is not printed when written to a file");
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const d = await runKeyless(["decode", file], { env });
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stdout, /"sub": "org:acme:project:infra:env:prod:phase:apply"/);
      assert.match(d.stdout, /expires .*\(in 1[45] minutes\)/);
      const refused = await runKeyless(["token", "--audience", "evil", "--ca", tls.caFile], { env: jobEnv });
      assert.equal(refused.code, 2);
      assert.match(
        refused.stderr,
        /keyless: keyless issuer: the token request was refused \(HTTP 400: audience "evil" is not allowed/,
      );
      const garbage = await runKeyless(["decode", "not-a-token"], { env });
      assert.equal(garbage.code, 2);
      assert.equal(garbage.stderr.split("\n").length, 2, "one line");
    });

    test("a completed run's request token is refused at once", async () => {
      const done = await httpsJson(
        "POST",
        `${issuer}/api/v1/organizations/${orgId}/runs/${run.run.id}/complete`,
        {
          ca: tls.ca,
          key: adminKey,
          body: { status: "succeeded" },
        },
      );
      assert.equal(done.status, 200);
      const curl = await runCommand("curl", [
        "-sS",
        "--cacert",
        tls.caFile,
        "-w",
        "\n%{http_code} %{content_type}",
        "-H",
        `Authorization: bearer ${run.requestToken}`,
        `${run.requestUrl}&audience=sts.amazonaws.com`,
      ]);
      const [body, status] = curl.stdout.split("\n");
      assert.match(status!, /^401 application\/problem\+json/);
      assert.equal(JSON.parse(body!).type, "https://keyless.dev/problems/run-not-live");
    });

    test("logs never hold the admin key, request token or tokens", () => {
      const logs = server.stderr();
      assert.ok(logs.length > 0);
      assert.ok(!logs.includes(adminKey));
      assert.ok(!logs.includes(run.requestToken));
      assert.ok(!/eyJ[A-Za-z0-9_-]+\.eyJ/.test(logs));
    });
  });
}

describe("keyless keys and publish on the data directory", () => {
  const dir = tempDir();
  after(() => dir.cleanup());
  test("rotate publishes first, list shows the states, retire refuses the only signer, publish writes the documents", async () => {
    const env = { PATH: process.env.PATH, HOME: dir.path, KEYLESS_DATA_DIR: join(dir.path, "data") };
    const first = await runKeyless(["keys", "rotate"], { env });
    assert.equal(first.code, 0, first.stderr);
    const kid1 = first.stdout.split(" ")[0]!;
    const second = await runKeyless(["keys", "rotate", "--alg", "ES256"], { env });
    assert.equal(second.code, 0, second.stderr);
    const kid2 = second.stdout.split(" ")[0]!;
    const list = JSON.parse((await runKeyless(["keys", "list", "--json"], { env })).stdout);
    assert.deepEqual(
      list.map((k: { kid: string; state: string }) => [k.kid, k.state]),
      [
        [kid1, "active"],
        [kid2, "pending"],
      ],
    );
    assert.ok(list[1].activateAt - list[1].createdAt >= 24 * 3600_000, "the default overlap is a day");
    // `--`: a kid is base64url and may begin with "-" (one in 64), which would read as an option.
    const retire = await runKeyless(["keys", "retire", "--", kid1], { env });
    assert.equal(retire.code, 2);
    assert.match(retire.stderr, /^keyless: .*only key that can sign; run `keyless keys rotate`/m);
    const out = join(dir.path, "site");
    const pub = await runKeyless(["publish", "--out", out, "--issuer-url", "https://id.example.com/tenant"], {
      env,
    });
    assert.equal(pub.code, 0, pub.stderr);
    const discovery = JSON.parse(
      readFileSync(join(out, "tenant", ".well-known", "openid-configuration"), "utf8"),
    );
    assert.equal(discovery.issuer, "https://id.example.com/tenant");
    assert.equal(discovery.jwks_uri, "https://id.example.com/tenant/.well-known/jwks");
    const jwks = JSON.parse(readFileSync(join(out, "tenant", ".well-known", "jwks"), "utf8"));
    assert.deepEqual(
      jwks.keys.map((k: { kid: string; alg: string }) => [k.kid, k.alg]),
      [
        [kid1, "RS256"],
        [kid2, "ES256"],
      ],
      "the pending key is published before it signs",
    );
  });
});

describe("keyless serve --workers 2", () => {
  const dir = tempDir();
  let server: ServeProcess | undefined;
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });
  test("both workers mint; every mint is in the audit log (written by the primary) before the token is returned", async () => {
    const run = await startSeededServe(dir.path, ["--workers", "2", "--log-level", "warn"]);
    server = run.server;
    assert.match(run.server.stdout(), /with 2 workers/);
    const mint = async () => {
      const r = await fetch(`${run.base}${run.tokenPath}`, {
        headers: { authorization: `Bearer ${run.requestToken}` },
      });
      return { status: r.status, json: (await r.json()) as Json };
    };
    const minted = await Promise.all(Array.from({ length: 40 }, mint));
    assert.ok(minted.every((m) => m.status === 200 && typeof m.json.value === "string"));
    const jtis = new Set(
      minted.map((m) => JSON.parse(Buffer.from(m.json.value.split(".")[1], "base64url").toString()).jti),
    );
    const audit = await mintAuditRows(run.base, run.orgId, run.admin);
    assert.equal(audit.length, 40);
    assert.deepEqual(new Set(audit.map((e) => e.details.jti)), jtis);
  });
});
