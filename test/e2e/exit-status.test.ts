import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { seedWebIdentityRole } from "../support/aws.js";
import { type RunResult, runKeyless } from "../support/cli.js";
import { isolatedEnv, type RunningEmulator, startEmulator } from "../support/emulator.js";
import { startTestIssuer, type TestIssuer } from "../support/oidc-issuer.js";
import { freePort } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";

// The documented exit statuses (README, "Commands"), each class through the built CLI: 1 a refusal,
// 2 bad input, 3 a failure outside keyless; every failure one `keyless:` line, never a stack trace.
// And the runner's retries as the SDK's standard strategy does them, counted at a proxy in front of
// the real emulator: IDPCommunicationError and throttling are retried, refusals never.
const ACCOUNT = "111111111111";
const HOST = "token.actions.githubusercontent.com";
const SUB = "repo:acme/infra:ref:refs/heads/main";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/deploy`;

/** STS's query-protocol error envelope (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html). */
const stsErrorXml = (code: string, message: string) =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>`;

/** One line on stderr, `keyless: …`, no stack trace. */
function oneLine(r: RunResult, pattern: RegExp): void {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^keyless: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

describe("exit statuses, end to end", () => {
  const dir = tempDir("keyless-exit-");
  let issuer: TestIssuer;
  let emulator: RunningEmulator;
  let env: NodeJS.ProcessEnv;
  let goodToken: string;
  let wrongSubToken: string;
  let wrongAudToken: string;
  /** A proxy in front of the emulator that answers the first `failures` requests with `code`. */
  let proxy: Server;
  let proxyUrl: string;
  let requests = 0;
  let failures: { code: string; status: number; left: number } = { code: "", status: 400, left: 0 };

  const tokenFile = (name: string, token: string) => {
    const path = join(dir.path, name);
    writeFileSync(path, token);
    return path;
  };
  const assume = (token: string, endpoint: string, extra: string[] = [], e = env) =>
    runKeyless(
      [
        "assume",
        "--from-file",
        tokenFile(`token-${Math.random().toString(36).slice(2)}`, token),
        "--role-arn",
        ROLE,
        "--endpoint-url",
        endpoint,
        "--session-name",
        "ci-run",
        ...extra,
      ],
      { env: e },
    );
  /** The job's environment without AWS_MAX_ATTEMPTS, so the SDK's own retry count applies. */
  const retryingEnv = () => {
    const e = { ...env };
    delete e.AWS_MAX_ATTEMPTS;
    return e;
  };

  before(async () => {
    mkdirSync(join(dir.path, "ca"));
    issuer = await startTestIssuer(join(dir.path, "ca"), { issuer: `https://${HOST}` });
    emulator = await startEmulator(join(dir.path, "data"), [
      "--trust-ca",
      issuer.caFile,
      "--issuer-alias",
      `${HOST}=${issuer.localUrl}`,
    ]);
    await seedWebIdentityRole({
      endpoint: emulator.endpoint,
      dir: dir.path,
      account: ACCOUNT,
      providerUrl: `https://${HOST}`,
      roleName: "deploy",
      condition: { StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com", [`${HOST}:sub`]: SUB } },
    });
    goodToken = await issuer.sign({ sub: SUB, aud: "sts.amazonaws.com" });
    wrongSubToken = await issuer.sign({
      sub: "repo:acme/infra:ref:refs/heads/feature",
      aud: "sts.amazonaws.com",
    });
    wrongAudToken = await issuer.sign({ sub: SUB, aud: "not-sts" });
    env = isolatedEnv(join(dir.path, "job"), { AWS_DEFAULT_REGION: "us-east-1" });

    const target = new URL(emulator.endpoint);
    proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      // Only STS's exchange is counted: the refusal's explanation reads the role through here too.
      if (body.toString().includes("Action=AssumeRoleWithWebIdentity")) {
        requests++;
        if (failures.left > 0) {
          failures.left--;
          res.writeHead(failures.status, { "content-type": "text/xml" });
          res.end(stsErrorXml(failures.code, "injected by the test proxy"));
          return;
        }
      }
      const forward = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.end(body);
    });
    await new Promise<void>((ok) => proxy.listen(0, "127.0.0.1", ok));
    const address = proxy.address();
    assert.ok(address !== null && typeof address === "object");
    proxyUrl = `http://127.0.0.1:${address.port}`;
  });

  after(async () => {
    await new Promise<void>((ok) => (proxy ? proxy.close(() => ok()) : ok()));
    await emulator?.stop();
    await issuer?.close();
    dir.cleanup();
  });

  const viaProxy = async (
    token: string,
    inject: { code: string; status: number; left: number } | undefined,
    e = retryingEnv(),
  ) => {
    requests = 0;
    failures = inject ?? { code: "", status: 400, left: 0 };
    const r = await assume(token, proxyUrl, ["--quiet"], e);
    return { r, requests };
  };

  describe("1: a refusal", () => {
    test("assume refused with InvalidIdentityToken exits 1, with its explanation", async () => {
      const r = await assume(wrongAudToken, emulator.endpoint);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /evaluated with this token/, "the analyst's explanation");
      assert.match(r.stderr, /keyless: STS refused: InvalidIdentityToken: .+\n$/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });

    test("assume refused with AccessDenied exits 1, with its explanation", async () => {
      const r = await assume(wrongSubToken, emulator.endpoint);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /policy wants "repo:acme\/infra:ref:refs\/heads\/main" -> no match/);
      assert.match(r.stderr, /keyless: STS refused: AccessDenied: .+\n$/);
    });
  });

  describe("2: bad input, one line naming the path and what to do", () => {
    test("serve --database sqlite:", async () => {
      const r = await runKeyless(["serve", "--data-dir", join(dir.path, "serve"), "--database", "sqlite:"]);
      assert.equal(r.code, 2);
      oneLine(r, /--database: database URL "sqlite:" names no file; give a file path/);
    });

    test("serve --log-level loud", async () => {
      const r = await runKeyless(["serve", "--data-dir", join(dir.path, "serve"), "--log-level", "loud"]);
      assert.equal(r.code, 2);
      oneLine(r, /--log-level loud: expected one of fatal, error, warn, info, debug, trace, silent/);
    });

    test("decode DIR", async () => {
      const r = await runKeyless(["decode", dir.path]);
      assert.equal(r.code, 2);
      oneLine(r, new RegExp(`${dir.path}: is a directory, not a file; name a file`));
    });

    test("token --out DIR fails before minting and leaves no secret behind", async () => {
      const parent = join(dir.path, "token-out");
      const out = join(parent, "dir");
      mkdirSync(out, { recursive: true });
      const r = await runKeyless(["token", "--from-file", tokenFile("t", goodToken), "--out", out], { env });
      assert.equal(r.code, 2);
      oneLine(r, new RegExp(`--out ${out}: is a directory, not a file; name a file in a writable directory`));
      assert.deepEqual(readdirSync(parent), ["dir"], "no temporary token file beside it");
      assert.deepEqual(readdirSync(out), []);
    });

    test("assume --out DIR fails before asking STS and leaves no secret behind", async () => {
      const parent = join(dir.path, "assume-out");
      const out = join(parent, "dir");
      mkdirSync(out, { recursive: true });
      const r = await assume(goodToken, emulator.endpoint, ["--quiet", "--format", "json", "--out", out]);
      assert.equal(r.code, 2);
      oneLine(r, new RegExp(`--out ${out}: is a directory`));
      assert.deepEqual(readdirSync(parent), ["dir"]);
    });

    test("an unwritable data directory (under a regular file: fails for root too)", async () => {
      const file = join(dir.path, "a-file");
      writeFileSync(file, "");
      const dataDir = join(file, "data");
      for (const args of [
        ["serve", "--data-dir", dataDir],
        ["emulator", "--port", "0", "--data-dir", dataDir],
      ]) {
        const r = await runKeyless(args);
        assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
        oneLine(r, new RegExp(`data directory ${dataDir}: .*; choose a writable directory with --data-dir`));
      }
    });

    test("serve: a TLS file that cannot be read, an SQLite database that cannot be created", async () => {
      const serveDir = join(dir.path, "serve-files");
      const missing = join(dir.path, "no-such-cert.pem");
      const tls = await runKeyless([
        "serve",
        "--data-dir",
        serveDir,
        "--tls-cert",
        missing,
        "--tls-key",
        missing,
      ]);
      assert.equal(tls.code, 2);
      oneLine(tls, new RegExp(`--tls-cert ${missing}: no such file or directory; give a readable PEM file`));
      const file = join(dir.path, "in-the-way");
      writeFileSync(file, "");
      const database = join(file, "keyless.db");
      const sqlite = await runKeyless(["keys", "list", "--data-dir", serveDir, "--database", database]);
      assert.equal(sqlite.code, 2);
      oneLine(sqlite, new RegExp(`database ${database}: .*give --database a file in a writable directory`));
    });

    test("commander's own errors are one keyless: line", async () => {
      const unknown = await runKeyless(["lint", "--no-such-option"]);
      assert.equal(unknown.code, 2);
      oneLine(unknown, /unknown option '--no-such-option' \(run keyless --help for usage\)/);
      const missing = await runKeyless(["decode"]);
      assert.equal(missing.code, 2);
      oneLine(missing, /missing required argument 'token-or-file'/);
    });
  });

  describe("3: a failure outside keyless, naming the URL", () => {
    test("the emulator (STS) unreachable", async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const r = await assume(goodToken, url, ["--quiet"]);
      assert.equal(r.code, 3);
      oneLine(r, new RegExp(`cannot get credentials from STS at ${url}: ECONNREFUSED`));
    });

    test("an emulator to read policies from unreachable (explain --emulator, lint --emulator)", async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const claims = join(dir.path, "claims.json");
      writeFileSync(claims, JSON.stringify({ iss: `https://${HOST}`, sub: SUB, aud: "sts.amazonaws.com" }));
      const explain = await runKeyless(
        ["explain", "--emulator", url, "--role-arn", ROLE, "--claims", claims],
        {
          env,
        },
      );
      assert.equal(explain.code, 3, explain.stderr);
      oneLine(explain, new RegExp(`cannot read ${ROLE} from the emulator at ${url}`));
      const lint = await runKeyless(["lint", "--emulator", url, "--emulator-account", ACCOUNT], { env });
      assert.equal(lint.code, 3, lint.stderr);
      oneLine(lint, new RegExp(`--emulator ${url}: cannot list the roles of account ${ACCOUNT}`));
    });

    test("the PostgreSQL database unreachable, named without its password", async () => {
      const port = await freePort();
      const r = await runKeyless([
        "keys",
        "list",
        "--data-dir",
        join(dir.path, "serve-pg"),
        "--database",
        `postgres://keyless:hunter2@127.0.0.1:${port}/keyless`,
      ]);
      assert.equal(r.code, 3);
      oneLine(
        r,
        new RegExp(
          `cannot reach the database at postgres://keyless:\\*\\*\\*@127\\.0\\.0\\.1:${port}/keyless`,
        ),
      );
      assert.doesNotMatch(r.stderr, /hunter2/);
    });

    test("the issuer unreachable", async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const r = await runKeyless(["token", "--quiet"], {
        env: {
          ...env,
          KEYLESS_ID_TOKEN_REQUEST_URL: `${url}/token`,
          KEYLESS_ID_TOKEN_REQUEST_TOKEN: "request-token",
        },
      });
      assert.equal(r.code, 3);
      oneLine(r, new RegExp(`keyless issuer: cannot reach ${url}`));
    });
  });

  describe("the SDK's retries, counted at a proxy in front of the emulator", () => {
    test("IDPCommunicationError is retried, then the exchange succeeds", async () => {
      const { r, requests: n } = await viaProxy(goodToken, {
        code: "IDPCommunicationError",
        status: 400,
        left: 2,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(n, 3);
    });

    test("throttling is retried", async () => {
      const { r, requests: n } = await viaProxy(goodToken, { code: "Throttling", status: 400, left: 1 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(n, 2);
    });

    test("an IDPCommunicationError that persists exits 3 after the SDK's attempts", async () => {
      const { r, requests: n } = await viaProxy(goodToken, {
        code: "IDPCommunicationError",
        status: 400,
        left: 100,
      });
      assert.equal(r.code, 3);
      assert.equal(n, 6);
      oneLine(r, /STS at http:\/\/127\.0\.0\.1:\d+: IDPCommunicationError: .*\(after 6 attempts\)/);
    });

    // Throttling, once the SDK's attempts are spent, is STS too busy to answer: a failure outside
    // keyless (exit 3), not a request to correct (exit 2). The query protocol answers it with a 400.
    for (const [code, status] of [
      ["Throttling", 400],
      ["TooManyRequestsException", 429],
    ] as const) {
      test(`${code} (HTTP ${status}) that persists exits 3 after the SDK's attempts`, async () => {
        const { r, requests: n } = await viaProxy(goodToken, { code, status, left: 100 });
        assert.equal(r.code, 3, r.stderr);
        assert.equal(n, 6);
        oneLine(r, new RegExp(`STS at http://127\\.0\\.0\\.1:\\d+: ${code}: .*\\(after 6 attempts\\)`));
      });
    }

    // An endpoint that takes the connection and never answers (a black-holing proxy or firewall): each
    // attempt ends at KEYLESS_STS_TIMEOUT and is retried; then exit 3, never a hang. The AWS SDK alone
    // would wait forever.
    for (const [what, command] of [
      ["assume", ["assume"]],
      ["exec", ["exec"]],
    ] as const) {
      test(`${what}: STS that never answers gives up after KEYLESS_STS_TIMEOUT per attempt, exit 3`, async () => {
        const accepted: Socket[] = [];
        const hole = createNetServer((socket) => accepted.push(socket));
        await new Promise<void>((ok) => hole.listen(0, "127.0.0.1", ok));
        const url = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
        try {
          const r = await runKeyless(
            [
              ...command,
              "--quiet",
              "--from-file",
              tokenFile("token-hole", goodToken),
              "--role-arn",
              ROLE,
              "--endpoint-url",
              url,
              "--session-name",
              "ci-run",
              ...(what === "exec" ? ["--", "true"] : []),
            ],
            { env: { ...env, AWS_MAX_ATTEMPTS: "2", KEYLESS_STS_TIMEOUT: "1" } },
          );
          assert.equal(r.code, 3, r.stderr);
          assert.equal(accepted.length, 2, "one connection per attempt");
          oneLine(
            r,
            new RegExp(
              `STS at ${url.replaceAll(".", "\\.")}: ETIMEDOUT: no answer within 1 s \\(KEYLESS_STS_TIMEOUT\\) \\(after 2 attempts\\)`,
            ),
          );
        } finally {
          for (const socket of accepted) socket.destroy();
          await new Promise<void>((ok) => hole.close(() => ok()));
        }
      });
    }

    test("KEYLESS_STS_TIMEOUT that is not a number is bad input", async () => {
      const r = await assume(goodToken, emulator.endpoint, ["--quiet"], {
        ...env,
        KEYLESS_STS_TIMEOUT: "soon",
      });
      assert.equal(r.code, 2, r.stderr);
      oneLine(r, /KEYLESS_STS_TIMEOUT=soon: expected a positive number of seconds/);
    });

    test("AWS_MAX_ATTEMPTS, the SDK's own setting, is honoured", async () => {
      const { r, requests: n } = await viaProxy(
        goodToken,
        { code: "IDPCommunicationError", status: 400, left: 100 },
        { ...retryingEnv(), AWS_MAX_ATTEMPTS: "2" },
      );
      assert.equal(r.code, 3);
      assert.equal(n, 2);
    });

    for (const [what, token] of [
      ["AccessDenied", () => wrongSubToken],
      ["InvalidIdentityToken", () => wrongAudToken],
    ] as const) {
      test(`${what} is never retried`, async () => {
        const { r, requests: n } = await viaProxy(token(), undefined);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`STS refused: ${what}`));
        assert.equal(n, 1);
      });
    }
  });
});
