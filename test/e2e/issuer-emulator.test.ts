import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { OPERATOR } from "../../src/issuer/authz.js";
import { kekFromBytes } from "../../src/issuer/kek.js";
import { kyselyIssuerRepository } from "../../src/issuer/kysely-repository.js";
import { issuerMigrations } from "../../src/issuer/migrations.js";
import { IssuerService } from "../../src/issuer/service.js";
import type { IssuerTables } from "../../src/issuer/tables.js";
import { manualClock } from "../../src/lib/clock.js";
import { cryptoIds } from "../../src/lib/ids.js";
import { buildIssuerApp } from "../../src/server/issuer-app.js";
import { type Database, openDatabase } from "../../src/store/database.js";
import { webIdentityTrust } from "../support/aws.js";
import { runCommand } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator } from "../support/emulator.js";
import { acmeRun } from "../support/issuer.js";
import { freePort } from "../support/ports.js";
import { curlRunToken, httpsJson, type ServeProcess, seedApplyRunOverHttp } from "../support/serve.js";
import {
  type IssuerWithEmulator,
  startIssuerWithEmulator,
  startServeWithOwnEmulator,
} from "../support/stack.js";
import type { TestTls } from "../support/tls.js";
import { tempDir } from "../support/tmp.js";

/**
 * The whole chain with real processes: `keyless serve` over HTTPS mints a run's token, the job fetches it
 * with curl through the request URL, and the AWS CLI exchanges it with `keyless emulator` (which fetches
 * our discovery and JWKS over TLS through --issuer-alias) on roles whose trust policies gate sub, aud and
 * session tags.
 */
const ACCOUNT = "123456789012";
const ISSUER_HOST = "id.keyless.test";
const ROTATION_HOST = "rotation.keyless.test";
const ENV0_CLIENT = "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b";
const H = 3_600_000;

const trust = (
  provider: string,
  conditions: Record<string, unknown>,
  actions = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
) => webIdentityTrust(ACCOUNT, provider, conditions, actions);

describe("issuer → job (curl) → AWS CLI → emulator", () => {
  const dir = tempDir();
  let stack: IssuerWithEmulator;
  let tls: TestTls;
  let emulator: RunningEmulator;
  let serveUrl: string;
  let awsAdmin: NodeJS.ProcessEnv;
  // the in-process issuer with a manual clock, for rotation
  let rotDb: Database<IssuerTables>;
  let rotApp: FastifyInstance;
  let rotPort: number;

  const aws = (args: string[], env: NodeJS.ProcessEnv) =>
    runCommand("aws", ["--endpoint-url", emulator.endpoint, ...args], { env });
  const api = (method: string, path: string, body?: unknown) => stack.api(method, path, body);
  const curlToken = async (run: { requestUrl: string; requestToken: string }, audience: string) => {
    const r = await curlRunToken(run, tls.caFile, audience);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return JSON.parse(r.stdout).value as string;
  };
  const exchange = (roleName: string, token: string) =>
    aws(
      [
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
        "--role-session-name",
        "keyless-run",
        "--web-identity-token",
        token,
      ],
      isolatedEnv(join(dir.path, "job"), { AWS_DEFAULT_REGION: "us-east-1" }),
    );
  const createRole = async (name: string, policy: unknown) => {
    const file = join(dir.path, `${name}.json`);
    writeFileSync(file, JSON.stringify(policy));
    const r = await aws(
      ["iam", "create-role", "--role-name", name, "--assume-role-policy-document", `file://${file}`],
      awsAdmin,
    );
    assert.equal(r.code, 0, r.stderr);
  };
  const createProvider = async (url: string, audience: string) => {
    const r = await aws(
      ["iam", "create-open-id-connect-provider", "--url", url, "--client-id-list", audience],
      awsAdmin,
    );
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    rotPort = await freePort();
    stack = await startIssuerWithEmulator(dir.path, {
      issuerUrl: `https://${ISSUER_HOST}`,
      aliases: [ISSUER_HOST, "login.app.env0.com"],
      emulatorArgs: ["--issuer-alias", `${ROTATION_HOST}=https://127.0.0.1:${rotPort}`],
    });
    ({ tls, emulator, serveUrl } = stack);
    awsAdmin = isolatedEnv(join(dir.path, "admin"), {
      AWS_ACCESS_KEY_ID: ACCOUNT,
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
    });
  });
  after(async () => {
    await stack?.stop();
    await rotApp?.close();
    await rotDb?.close();
    dir.cleanup();
  });

  test("a prod run's token opens the role gated on sub, aud and a session tag; a dev run's is refused", async () => {
    const org = await api("POST", "/api/v1/organizations", {
      name: "acme",
      allowedAudiences: ["sts.amazonaws.com"],
      sessionTags: { enabled: true, keys: ["environment", "project"], transitive: ["project"] },
    });
    const project = await api("POST", `/api/v1/organizations/${org.id}/projects`, { name: "infra" });
    const prod = await api("POST", `/api/v1/organizations/${org.id}/projects/${project.id}/environments`, {
      name: "prod",
    });
    const dev = await api("POST", `/api/v1/organizations/${org.id}/projects/${project.id}/environments`, {
      name: "dev",
    });
    const runner = await api("POST", `/api/v1/organizations/${org.id}/api-keys`, {
      name: "ci",
      scope: { kind: "runner", projectId: project.id },
    });
    const startRun = async (environmentId: string) => {
      const r = await httpsJson("POST", `${serveUrl}/api/v1/organizations/${org.id}/runs`, {
        ca: tls.ca,
        key: runner.secret,
        body: {
          environmentId,
          phase: "apply",
          deployer: "alice@example.com",
          attributes: { ref: "refs/heads/main" },
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json;
    };

    await createProvider(`https://${ISSUER_HOST}`, "sts.amazonaws.com");
    await createRole(
      "acme-infra-prod",
      trust(ISSUER_HOST, {
        StringEquals: {
          [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
          [`${ISSUER_HOST}:sub`]: "org:acme:project:infra:env:prod:phase:apply",
          "aws:RequestTag/environment": "prod",
        },
      }),
    );

    const prodToken = await curlToken(await startRun(prod.id), "sts.amazonaws.com");
    const ok = await exchange("acme-infra-prod", prodToken);
    assert.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout);
    assert.equal(out.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/acme-infra-prod/keyless-run`);
    assert.equal(out.SubjectFromWebIdentityToken, "org:acme:project:infra:env:prod:phase:apply");
    assert.equal(out.Audience, "sts.amazonaws.com");
    assert.match(out.Credentials.AccessKeyId, /^ASIA/);

    const devToken = await curlToken(await startRun(dev.id), "sts.amazonaws.com");
    const refused = await exchange("acme-infra-prod", devToken);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /AccessDenied/);
    assert.match(refused.stderr, /Not authorized to perform sts:AssumeRoleWithWebIdentity/);
  });

  test("env0 profile: env0's issuer, sub, azp audience and session tags, gated on organizationId as env0 advises", async () => {
    const org = await api("POST", "/api/v1/organizations", {
      name: "env0-acme",
      profile: "env0",
      profileOptions: { subject: "632b8219674bde0224a96141" },
    });
    const other = await api("POST", "/api/v1/organizations", {
      name: "env0-other",
      profile: "env0",
      profileOptions: { subject: "632b8219674bde0224a96141" },
    });
    const token = async (o: { id: string }) => {
      const p = await api("POST", `/api/v1/organizations/${o.id}/projects`, { name: "web" });
      const e = await api("POST", `/api/v1/organizations/${o.id}/projects/${p.id}/environments`, {
        name: "prod",
      });
      const run = await api("POST", `/api/v1/organizations/${o.id}/runs`, {
        environmentId: e.id,
        phase: "apply",
        deployer: "dev@example.com",
      });
      return curlToken(run, "https://prod.env0.com");
    };
    await createProvider("https://login.app.env0.com/", ENV0_CLIENT);
    await createRole(
      "env0-deployer",
      trust("login.app.env0.com/", {
        StringEquals: {
          "login.app.env0.com/:aud": ENV0_CLIENT,
          "login.app.env0.com/:sub": "auth0|632b8219674bde0224a96141",
          "aws:RequestTag/organizationId": [org.id],
        },
      }),
    );
    const ok = await exchange("env0-deployer", await token(org));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).Audience, ENV0_CLIENT, "AWS matches env0's azp");
    const refused = await exchange("env0-deployer", await token(other));
    assert.notEqual(refused.code, 0, "same sub, another organization: the organizationId tag gate refuses");
    assert.match(refused.stderr, /AccessDenied/);
  });

  test("key rotation: tokens signed before, during and after a rotation all exchange", async () => {
    // An issuer in this process with a manual clock set 24 h 10 min in the past, so a whole overlap can
    // pass without waiting while the emulator keeps real time.
    const clock = manualClock(Date.now() - 24 * H - 10 * 60_000);
    rotDb = await openDatabase<IssuerTables>(":memory:", issuerMigrations);
    const service = new IssuerService(
      kyselyIssuerRepository(rotDb.db),
      kekFromBytes(Buffer.alloc(32, 9)),
      clock,
      cryptoIds,
      {
        issuerUrl: `https://${ROTATION_HOST}`,
        publicUrl: `https://127.0.0.1:${rotPort}`,
        signingAlgorithm: "RS256",
        keyPolicy: { overlapMs: 24 * H, rotationIntervalMs: 0 },
        maxTokenLifetimeSeconds: 3 * 86400,
        keyCacheMs: 0,
      },
    );
    await service.signingKeys.maintainKeys();
    rotApp = await buildIssuerApp({
      service,
      https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
    });
    await rotApp.listen({ host: "127.0.0.1", port: rotPort });

    const { run } = await acmeRun(service, { organization: { name: "rot", maxLifetimeSeconds: 30 * 3600 } });
    const mint = async (lifetimeSeconds?: number) => {
      const path = new URL(run.requestUrl);
      const r = await httpsJson(
        "GET",
        `https://127.0.0.1:${rotPort}${path.pathname}${path.search}&audience=sts.amazonaws.com${lifetimeSeconds ? `&lifetime=${lifetimeSeconds}` : ""}`,
        { ca: tls.ca, key: run.requestToken },
      );
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const header = JSON.parse(Buffer.from(r.json.value.split(".")[0], "base64url").toString());
      return { token: r.json.value as string, kid: header.kid as string };
    };

    const before = await mint(30 * 3600);
    clock.advance(60_000);
    const next = await service.signingKeys.rotate(OPERATOR);
    clock.advance(60_000);
    const during = await mint(30 * 3600);
    assert.equal(during.kid, before.kid, "the old key signs during the overlap");
    clock.set(next.activateAt + 60_000);
    const afterRotation = await mint();
    assert.equal(afterRotation.kid, next.kid, "the new key signs after the overlap");

    await createProvider(`https://${ROTATION_HOST}`, "sts.amazonaws.com");
    await createRole(
      "rotation",
      trust(
        ROTATION_HOST,
        {
          StringEquals: {
            [`${ROTATION_HOST}:aud`]: "sts.amazonaws.com",
            [`${ROTATION_HOST}:sub`]: "org:rot:project:infra:env:prod:phase:apply",
          },
        },
        ["sts:AssumeRoleWithWebIdentity"],
      ),
    );
    for (const [name, t] of Object.entries({ before, during, afterRotation })) {
      const r = await exchange("rotation", t.token);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    }
  });
});

describe("keyless serve --aws-emulator: issuer and emulator on one HTTPS server", () => {
  const dir = tempDir();
  let tls: TestTls;
  let server: ServeProcess;
  let base: string;
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test("the AWS CLI manages IAM and exchanges a run's token on the same port as the issuer", async () => {
    const started = await startServeWithOwnEmulator(dir.path, ISSUER_HOST);
    ({ tls, base, server } = started);
    const run = await seedApplyRunOverHttp(base, started.adminKey, {
      ca: tls.ca,
      organization: { name: "solo", allowedAudiences: ["sts.amazonaws.com"] },
      phase: "plan",
    });

    const awsEnv = isolatedEnv(join(dir.path, "aws"), {
      AWS_ACCESS_KEY_ID: ACCOUNT,
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_CA_BUNDLE: tls.caFile,
    });
    const aws = (args: string[], env = awsEnv) =>
      runCommand("aws", ["--endpoint-url", base, ...args], { env });
    let r = await aws([
      "iam",
      "create-open-id-connect-provider",
      "--url",
      `https://${ISSUER_HOST}`,
      "--client-id-list",
      "sts.amazonaws.com",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const policy = join(dir.path, "trust.json");
    writeFileSync(
      policy,
      JSON.stringify(
        trust(
          ISSUER_HOST,
          {
            StringEquals: {
              [`${ISSUER_HOST}:sub`]: "org:solo:project:infra:env:prod:phase:plan",
              [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
            },
            // Over HTTPS the emulator's request context says so, as AWS's always does.
            Bool: { "aws:SecureTransport": "true" },
          },
          ["sts:AssumeRoleWithWebIdentity"],
        ),
      ),
    );
    r = await aws([
      "iam",
      "create-role",
      "--role-name",
      "plan",
      "--assume-role-policy-document",
      `file://${policy}`,
    ]);
    assert.equal(r.code, 0, r.stderr);

    const curl = await curlRunToken(run, tls.caFile, "sts.amazonaws.com");
    assert.equal(curl.code, 0, curl.stderr + curl.stdout);
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...unsigned } = awsEnv;
    r = await aws(
      [
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        `arn:aws:iam::${ACCOUNT}:role/plan`,
        "--role-session-name",
        "plan-run",
        "--web-identity-token",
        JSON.parse(curl.stdout).value,
      ],
      unsigned,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      JSON.parse(r.stdout).AssumedRoleUser.Arn,
      `arn:aws:sts::${ACCOUNT}:assumed-role/plan/plan-run`,
    );
    const discovery = await httpsJson("GET", `${base}/.well-known/openid-configuration`, { ca: tls.ca });
    assert.equal(
      discovery.json.issuer,
      `https://${ISSUER_HOST}`,
      "the issuer routes still answer beside the emulator",
    );
  });
});
