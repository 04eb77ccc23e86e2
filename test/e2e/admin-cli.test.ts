import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { KEYLESS_BIN, runKeyless } from "../support/cli.js";
import type { Json } from "../support/issuer.js";
import { freePort } from "../support/ports.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { type ServeProcess, startServe } from "../support/serve.js";
import { makeTestTls } from "../support/tls.js";
import { tempDir } from "../support/tmp.js";

/**
 * Every admin command (issue 12, item 1) against a real `keyless serve` over HTTPS with a private CA, on
 * SQLite and on PostgreSQL: names wherever a resource is named, tables and --json, the login file, the
 * CA from --ca and from NODE_EXTRA_CA_CERTS, scope refusals (exit 1), unknown names (exit 2, a 404),
 * an untrusted server (exit 3), and `keyless run start`/`finish` handing a job its token source.
 */
for (const store of ["sqlite", "postgres"] as const) {
  describe(`admin commands against keyless serve (${store})`, () => {
    const dir = tempDir();
    let server: ServeProcess | undefined;
    let pg: TestPostgres | undefined;
    after(async () => {
      await server?.stop();
      pg?.stop();
      dir.cleanup();
    });

    test("organizations, projects, environments, API keys, runs, audit and signing keys", async (t) => {
      const database: Record<string, string> = {};
      if (store === "postgres") {
        pg = await startPostgres();
        if (!pg) return t.skip("PostgreSQL binaries are not installed");
        database.KEYLESS_DATABASE = pg.url;
      }
      const tls = await makeTestTls(dir.path);
      const port = await freePort();
      const url = `https://127.0.0.1:${port}`;
      const base = { PATH: process.env.PATH, HOME: dir.path, NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE };
      server = await startServe(
        ["--port", String(port), "--issuer-url", url, "--tls-cert", tls.certFile, "--tls-key", tls.keyFile],
        { ...base, ...database, KEYLESS_DATA_DIR: join(dir.path, "data"), KEYLESS_LOG_LEVEL: "warn" },
      );
      const admin = readFileSync(join(dir.path, "data", "admin-key"), "utf8").trim();
      const env = (key: string, extra: NodeJS.ProcessEnv = {}) => ({
        ...base,
        KEYLESS_SERVER: url,
        KEYLESS_API_KEY: key,
        NODE_EXTRA_CA_CERTS: tls.caFile,
        ...extra,
      });
      const k = async (args: string[], key = admin, extra: NodeJS.ProcessEnv = {}, input?: string) => {
        const r = await runKeyless(args, { env: env(key, extra), ...(input !== undefined ? { input } : {}) });
        return r;
      };
      const ok = async (args: string[], key = admin, extra: NodeJS.ProcessEnv = {}) => {
        const r = await k(args, key, extra);
        assert.equal(r.code, 0, `keyless ${args.join(" ")}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
        return r;
      };
      const json = async (args: string[], key = admin, extra: NodeJS.ProcessEnv = {}): Promise<Json> =>
        JSON.parse((await ok([...args, "--json"], key, extra)).stdout);
      const refused = async (args: string[], key: string, code: number, message: RegExp) => {
        const r = await k(args, key);
        assert.equal(r.code, code, `keyless ${args.join(" ")}: ${r.stdout} ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
        assert.match(r.stderr, /^keyless: /);
      };

      // ---------------------------------------------------------------- organizations
      const acme = await json(["org", "create", "acme"]);
      assert.equal(acme.name, "acme");
      assert.deepEqual(acme.effectiveAudiences, ["sts.amazonaws.com"]);
      const gh = await json(["org", "create", "octo", "--profile", "github"]);
      assert.ok(
        gh.effectiveAudiences.includes("sts.amazonaws.com"),
        "github allows configure-aws-credentials'",
      );
      await ok(["org", "create", "other"]);
      const list = await ok(["org", "list"]);
      assert.match(list.stdout, /^NAME\s+ID\s+PROFILE/);
      assert.match(list.stdout, /\nacme\s+[0-9a-f-]{36}\s+keyless/);
      assert.deepEqual((await json(["org", "list"])).map((o: Json) => o.name).sort(), [
        "acme",
        "octo",
        "other",
      ]);
      assert.equal((await json(["org", "show", acme.id])).name, "acme", "by id");
      assert.match((await ok(["org", "show", "acme"])).stdout, /profile:\s+keyless/);
      const updated = await json(["org", "update", "acme", "--add-audience", "vault"]);
      assert.deepEqual(updated.allowedAudiences, ["sts.amazonaws.com", "vault"]);
      await refused(["org", "show", "nope"], admin, 2, /no organization "nope".*404 not-found/);
      // A GitHub-profile run, fetched as configure-aws-credentials fetches it (GitHub's variables, no
      // audience named: sts.amazonaws.com), works without configuring any audience.
      await ok(["project", "create", "infra", "--org", "octo"]);
      await ok(["env", "create", "prod", "--org", "octo", "--project", "infra"]);
      const octoRun = JSON.parse(
        (
          await ok([
            "run",
            "start",
            "--org",
            "octo",
            "--project",
            "infra",
            "--environment",
            "prod",
            "--ref",
            "refs/heads/main",
            "--format",
            "json",
          ])
        ).stdout,
      );
      const actions = await runKeyless(["token", "--source", "github"], {
        env: {
          ...base,
          NODE_EXTRA_CA_CERTS: tls.caFile,
          ACTIONS_ID_TOKEN_REQUEST_URL: octoRun.KEYLESS_ID_TOKEN_REQUEST_URL,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: octoRun.KEYLESS_ID_TOKEN_REQUEST_TOKEN,
        },
      });
      assert.equal(actions.code, 0, actions.stderr);
      const octoClaims = await runKeyless(["decode", "-"], { env: base, input: actions.stdout });
      assert.match(octoClaims.stdout, /"aud": "sts\.amazonaws\.com"/);
      assert.match(octoClaims.stdout, /"sub": "repo:octo\/infra:ref:refs\/heads\/main"/);
      await refused(["org", "delete", "octo"], admin, 2, /--yes/);
      await ok(["org", "delete", "octo", "--yes"]);

      // ---------------------------------------------------------------- projects and environments
      const infra = await json(["project", "create", "infra", "--org", "acme"]);
      await ok(["project", "create", "web", "--org", "acme"]);
      assert.deepEqual((await json(["project", "list", "--org", acme.id])).map((p: Json) => p.name).sort(), [
        "infra",
        "web",
      ]);
      assert.equal((await json(["project", "show", "infra", "--org", "acme"])).id, infra.id);
      assert.equal(
        (await json(["project", "update", "web", "--org", "acme", "--name", "site"])).name,
        "site",
      );
      await ok(["project", "create", "tmp", "--org", "acme"]);
      await ok(["project", "delete", "tmp", "--org", "acme", "--yes"]);
      await refused(["project", "show", "tmp", "--org", "acme"], admin, 2, /no project "tmp"/);
      const prod = await json(["env", "create", "prod", "--org", "acme", "--project", "infra"]);
      assert.equal(prod.projectId, infra.id);
      await ok(["env", "create", "staging", "--org", "acme", "--project", "infra"]);
      assert.match((await ok(["env", "list", "--org", "acme", "--project", "infra"])).stdout, /\nprod\s/);
      assert.equal((await json(["env", "show", "prod", "--org", "acme", "--project", "infra"])).id, prod.id);
      await ok(["env", "update", "staging", "--org", "acme", "--project", "infra", "--name", "stage"]);
      await ok(["env", "delete", "stage", "--org", "acme", "--project", "infra", "--yes"]);
      assert.deepEqual(
        (await json(["env", "list", "--org", "acme", "--project", "infra"])).map((e: Json) => e.name),
        ["prod"],
      );
      await ok(["project", "create", "infra", "--org", "other"]);

      // ---------------------------------------------------------------- API keys
      const created = await ok([
        "api-key",
        "create",
        "ci",
        "--org",
        "acme",
        "--scope",
        "runner",
        "--project",
        "infra",
      ]);
      const runner = created.stdout.trim();
      assert.match(runner, /^klk_/, "stdout is the secret alone");
      assert.match(created.stderr, /shown once/);
      const ops = (await ok(["api-key", "create", "ops", "--org", "acme"])).stdout.trim();
      const otherOps = (await ok(["api-key", "create", "ops", "--org", "other"])).stdout.trim();
      const webRunner = (
        await ok(["api-key", "create", "web-ci", "--org", "acme", "--scope", "runner", "--project", "site"])
      ).stdout.trim();
      const keys = await json(["api-key", "list", "--org", "acme"], ops);
      assert.deepEqual(keys.map((x: Json) => x.name).sort(), ["ci", "ops", "web-ci"]);
      assert.ok(!JSON.stringify(keys).includes(runner), "no secret in a listing");
      assert.equal((await json(["api-key", "list"])).length, 1, "the bootstrap admin key");

      // ---------------------------------------------------------------- scope refusals (exit 1)
      await refused(["org", "show", "acme"], otherOps, 1, /another organization/);
      await refused(["run", "list", "--org", "acme"], otherOps, 1, /another organization/);
      await refused(["run", "list", "--org", "acme", "--project", "site"], runner, 1, /another project/);
      await refused(["api-key", "list", "--org", "acme"], runner, 1, /runner API key/);
      await refused(["org", "create", "x"], ops, 1, /admin API key/);
      await refused(["org", "list"], "klk_wrong", 1, /401 unauthorized/);

      // ---------------------------------------------------------------- runs
      const startJson = await ok(
        [
          "run",
          "start",
          "--org",
          "acme",
          "--project",
          "infra",
          "--environment",
          "prod",
          "--phase",
          "plan",
          "--ref",
          "refs/heads/main",
          "--attr",
          "trigger=push",
          "--role-arn",
          "arn:aws:iam::111111111111:role/plan",
          "--format",
          "json",
        ],
        runner,
      );
      const vars = JSON.parse(startJson.stdout);
      assert.deepEqual(Object.keys(vars).sort(), [
        "KEYLESS_ID_TOKEN_REQUEST_TOKEN",
        "KEYLESS_ID_TOKEN_REQUEST_URL",
        "KEYLESS_ROLE_ARN",
        "KEYLESS_RUN_ID",
        "runId",
      ]);
      assert.equal(vars.runId, vars.KEYLESS_RUN_ID);
      const dotenv = await ok(
        [
          "run",
          "start",
          "--org",
          "acme",
          "--project",
          "infra",
          "--environment",
          "prod",
          "--format",
          "dotenv",
        ],
        runner,
      );
      assert.match(
        dotenv.stdout,
        /^KEYLESS_ID_TOKEN_REQUEST_URL=https:\/\/127\.0\.0\.1:\d+\/runs\/[^\n]+\nKEYLESS_ID_TOKEN_REQUEST_TOKEN=klr_/,
      );
      const out = join(dir.path, "job.env");
      await ok(
        ["run", "start", "--org", "acme", "--project", "infra", "--environment", "prod", "--out", out],
        runner,
      );
      assert.equal(statSync(out).mode & 0o777, 0o600);
      assert.match(readFileSync(out, "utf8"), /^export KEYLESS_ID_TOKEN_REQUEST_URL='https:/);

      // The job's side: its token, with the variables run start printed.
      const job = { ...base, NODE_EXTRA_CA_CERTS: tls.caFile, ...vars };
      const token = await runKeyless(["token", "--audience", "vault"], { env: job });
      assert.equal(token.code, 0, token.stderr);
      const decoded = await runKeyless(["decode", "-"], { env: job, input: token.stdout });
      assert.match(decoded.stdout, /"sub": "org:acme:project:infra:env:prod:phase:plan"/);
      assert.match(decoded.stdout, /"trigger": "push"/);
      const aud = await runKeyless(["token", "--audience", "elsewhere"], { env: job });
      assert.equal(aud.code, 2);
      assert.match(
        aud.stderr,
        /allowed: sts\.amazonaws\.com, vault\).*keyless org update acme --add-audience elsewhere/,
      );

      const runs = await json(
        ["run", "list", "--org", "acme", "--project", "infra", "--status", "running"],
        runner,
      );
      assert.equal(runs.length, 3);
      assert.deepEqual(await json(["run", "list", "--org", "acme", "--project", "site"], webRunner), []);
      assert.equal(
        (await json(["run", "list", "--org", "acme"], webRunner)).length,
        0,
        "a runner sees its project's",
      );
      const shown = await json(["run", "show", vars.runId, "--org", "acme"], ops);
      assert.equal(shown.phase, "plan");
      assert.equal(shown.tokens.length, 1);
      assert.equal(shown.tokens[0].audience, "vault");
      assert.ok(!JSON.stringify(shown).includes(token.stdout.trim()), "never the token itself");
      assert.match(
        (await ok(["run", "show", vars.runId, "--org", "acme"], ops)).stdout,
        /tokens minted \(1\):/,
      );
      await refused(["run", "show", vars.runId, "--org", "acme"], webRunner, 1, /another project/);

      const finished = await ok(["run", "finish", "--org", "acme", "--status", "FAILURE"], runner, {
        KEYLESS_RUN_ID: vars.runId,
      });
      assert.match(finished.stdout, / failed\n$/);
      const dead = await runKeyless(["token"], { env: job });
      assert.notEqual(dead.code, 0, "a finished run's request token is dead");
      await refused(["run", "finish", vars.runId, "--org", "acme"], runner, 2, /already failed/);
      assert.equal((await json(["run", "list", "--org", "acme", "--status", "failed"], ops)).length, 1);

      // ---------------------------------------------------------------- audit
      const entries = await json(["audit", "list", "--org", "acme", "--kind", "run"], ops);
      assert.deepEqual([...new Set(entries.map((e: Json) => e.action))].sort(), [
        "run.complete",
        "run.create",
      ]);
      const runnerId = keys.find((x: Json) => x.name === "ci").id;
      const byRunner = await json(["audit", "list", "--org", "acme", "--actor", `key:${runnerId}`], ops);
      assert.equal(byRunner.length, 4, "three run.create and one run.complete");
      assert.deepEqual(
        await json(["audit", "list", "--org", "acme", "--until", "2000-01-01T00:00:00Z"], ops),
        [],
      );
      assert.match((await ok(["audit", "list", "--since", "1h"])).stdout, /^TIME\s+ACTOR\s+ACTION/);
      await refused(["audit", "list", "--org", "acme"], runner, 1, /runner API key/);
      await refused(["audit", "list"], ops, 1, /admin API key/);
      // --follow: the entries so far, then a new one as it happens.
      const follow = spawn(
        process.execPath,
        [KEYLESS_BIN, "audit", "list", "--org", "acme", "--follow", "--json", "--interval", "1"],
        {
          env: env(ops),
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let followed = "";
      const seen = (pattern: RegExp) =>
        new Promise<void>((resolve, reject) => {
          const check = () => pattern.test(followed) && resolve();
          follow.stdout.setEncoding("utf8").on("data", (d: string) => {
            followed += d;
            check();
          });
          follow.once("exit", (code) => reject(new Error(`audit --follow exited ${code}: ${followed}`)));
          check();
        });
      await seen(/"run\.complete"/);
      await ok(["env", "create", "qa", "--org", "acme", "--project", "infra"], ops);
      await seen(/"environment\.create"/);
      follow.kill("SIGTERM");
      for (const line of followed.trim().split("\n")) JSON.parse(line);

      // ---------------------------------------------------------------- signing keys through the API
      const signing = JSON.parse((await ok(["keys", "list", "--server", url, "--json"])).stdout);
      assert.equal(signing.filter((s: Json) => s.state === "active").length, 1);
      const rotated = await ok(["keys", "rotate", "--server", url]);
      const kid = rotated.stdout.split(" ")[0]!;
      await ok(["keys", "retire", kid, "--server", url]);
      const after = JSON.parse((await ok(["keys", "list", "--server", url, "--json"])).stdout);
      assert.ok(after.some((s: Json) => s.kid === kid && s.retiredAt !== null));
      await refused(["keys", "rotate", "--server", url], ops, 1, /admin API key/);

      // ---------------------------------------------------------------- revoke
      await ok(["api-key", "revoke", "web-ci", "--org", "acme"], ops);
      await refused(["run", "list", "--org", "acme"], webRunner, 1, /not valid/);

      // ---------------------------------------------------------------- connection: CA, login file
      const noCa = await runKeyless(["org", "list"], {
        env: { ...base, KEYLESS_SERVER: url, KEYLESS_API_KEY: admin },
      });
      assert.equal(noCa.code, 3, noCa.stderr);
      assert.match(noCa.stderr, /cannot reach .*--ca FILE or NODE_EXTRA_CA_CERTS/);
      const withCa = await runKeyless(["org", "list", "--server", url, "--ca", tls.caFile], {
        env: { ...base, KEYLESS_API_KEY: admin },
      });
      assert.equal(withCa.code, 0, withCa.stderr);
      const noKey = await runKeyless(["org", "list"], { env: { ...base, KEYLESS_SERVER: url } });
      assert.equal(noKey.code, 2);
      assert.match(noKey.stderr, /KEYLESS_API_KEY or run keyless login/);
      const login = await runKeyless(["login", "--server", url, "--ca", tls.caFile, "--with-token"], {
        env: base,
        input: `${ops}\n`,
      });
      assert.equal(login.code, 0, login.stderr);
      const file = join(dir.path, ".config", "keyless", "credentials.json");
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const viaFile = await runKeyless(["project", "list", "--org", "acme", "--json"], { env: base });
      assert.equal(viaFile.code, 0, viaFile.stderr);
      assert.ok(JSON.parse(viaFile.stdout).some((p: Json) => p.name === "infra"));
      const badLogin = await runKeyless(["login", "--server", url, "--ca", tls.caFile, "--with-token"], {
        env: base,
        input: "klk_wrong\n",
      });
      assert.equal(badLogin.code, 1, "a key the server refuses is not saved");
      const logout = await runKeyless(["logout"], { env: base });
      assert.equal(logout.code, 0);
      assert.equal(existsSync(file), false);

      // ---------------------------------------------------------------- org delete cascades
      await ok(["org", "delete", "other", "--yes"]);
      await refused(["org", "show", "other"], admin, 2, /no organization "other"/);
      await refused(["org", "show", "other"], otherOps, 1, /not valid/);
    });
  });
}
