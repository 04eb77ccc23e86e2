import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as pause } from "node:timers/promises";
import Database from "better-sqlite3";
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { seedWebIdentityRole } from "../support/aws.js";
import { runCommand, runKeyless } from "../support/cli.js";
import { isolatedEnv } from "../support/emulator.js";
import { type MotoServer, startMoto } from "../support/moto.js";
import { freePort } from "../support/ports.js";
import { curlRunToken, httpsJson, seedApplyRunOverHttp, startServe } from "../support/serve.js";
import { type IssuerWithEmulator, startIssuerWithEmulator } from "../support/stack.js";
import { tempDir } from "../support/tmp.js";

/**
 * `KEYLESS_SIGNER=aws-kms` against moto_server's KMS (Sign and GetPublicKey for RSA_2048 and
 * ECC_NIST_P256): `keyless serve` creates its key in KMS, a job mints a token with curl, jose verifies it
 * against the served JWKS, the AWS CLI exchanges it at `keyless emulator`; `keyless keys rotate` (from the
 * CLI, a separate process) takes a new KMS key, and tokens of both keys verify and are accepted while both
 * are published. The store holds KMS key ARNs and public keys only.
 */
const ACCOUNT = "123456789012";

describe("signing keys held in AWS KMS (moto_server)", () => {
  let moto: MotoServer;
  const dirs: { cleanup(): void }[] = [];
  const stacks: IssuerWithEmulator[] = [];
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    for (const s of stacks) await s.stop();
    await moto?.stop();
    for (const d of dirs) d.cleanup();
  });

  async function kmsIssuer(alg: "RS256" | "ES256") {
    const dir = tempDir();
    dirs.push(dir);
    const kmsEnv = { KEYLESS_SIGNER: "aws-kms", KEYLESS_SIGNING_ALG: alg, ...moto.env("kms") };
    const stack = await startIssuerWithEmulator(dir.path, { serveEnv: kmsEnv });
    stacks.push(stack);
    const run = await seedApplyRunOverHttp(stack.serveUrl, stack.adminKey, { ca: stack.tls.ca });
    const mint = async () => {
      const r = await curlRunToken(run, stack.tls.caFile, "sts.amazonaws.com");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return JSON.parse(r.stdout).value as string;
    };
    const jwks = async (token: string) => {
      const iss = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).iss as string;
      const discovery = await httpsJson("GET", `${iss.replace(/\/$/, "")}/.well-known/openid-configuration`, {
        ca: stack.tls.ca,
      });
      assert.equal(discovery.status, 200);
      const keys = await httpsJson("GET", discovery.json.jwks_uri, { ca: stack.tls.ca });
      assert.equal(keys.status, 200);
      return { iss, jwks: keys.json as JSONWebKeySet };
    };
    const cliEnv = {
      PATH: process.env.PATH,
      HOME: dir.path,
      KEYLESS_DATA_DIR: join(dir.path, "issuer"),
      ...kmsEnv,
    };
    return { dir: dir.path, stack, run, mint, jwks, cliEnv };
  }

  const exchange = (stack: IssuerWithEmulator, dir: string, roleArn: string, token: string) =>
    runCommand(
      "aws",
      [
        "--endpoint-url",
        stack.emulator.endpoint,
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        roleArn,
        "--role-session-name",
        "kms-run",
        "--web-identity-token",
        token,
      ],
      { env: isolatedEnv(join(dir, "job"), { AWS_DEFAULT_REGION: "us-east-1" }) },
    );

  /** Every file under `dir`, recursively. */
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });

  for (const alg of ["RS256", "ES256"] as const) {
    test(`${alg}: mint, verify, exchange, rotate to a new KMS key, both tokens good during the overlap`, async () => {
      const { dir, stack, mint, jwks, cliEnv } = await kmsIssuer(alg);
      const first = await mint();
      const firstHeader = decodeProtectedHeader(first);
      assert.equal(firstHeader.alg, alg);
      const { iss, jwks: keys1 } = await jwks(first);
      assert.equal(keys1.keys.length, 1);
      await jwtVerify(first, createLocalJWKSet(keys1), { audience: "sts.amazonaws.com", issuer: iss });

      const { roleArn } = await seedWebIdentityRole({
        endpoint: stack.emulator.endpoint,
        dir,
        account: ACCOUNT,
        providerUrl: iss,
        roleName: `kms-${alg}`,
      });
      const ex1 = await exchange(stack, dir, roleArn, first);
      assert.equal(ex1.code, 0, ex1.stderr);
      assert.match(
        JSON.parse(ex1.stdout).AssumedRoleUser.Arn,
        new RegExp(`:assumed-role/kms-${alg}/kms-run$`),
      );

      // The CLI rotates on the same data directory; the server sees the new key within its key cache.
      const rotated = await runKeyless(["keys", "rotate", "--immediate"], { env: cliEnv });
      assert.equal(rotated.code, 0, rotated.stderr);
      const newKid = rotated.stdout.split(" ")[0]!;
      assert.notEqual(newKid, firstHeader.kid);
      let second = await mint();
      for (let i = 0; i < 100 && decodeProtectedHeader(second).kid !== newKid; i++) {
        await pause(200);
        second = await mint();
      }
      assert.equal(decodeProtectedHeader(second).kid, newKid, "the server took up the rotated key");

      const { jwks: keys2 } = await jwks(second);
      assert.deepEqual(keys2.keys.map((k) => k.kid).sort(), [firstHeader.kid, newKid].sort());
      for (const token of [first, second]) {
        await jwtVerify(token, createLocalJWKSet(keys2), { audience: "sts.amazonaws.com", issuer: iss });
      }
      // `--immediate` skips the overlap, so the emulator (like STS) may still hold a JWKS copy without the
      // new key; it refetches on an unknown kid at most every few seconds. Retried by count until it has.
      let ex2 = await exchange(stack, dir, roleArn, second);
      for (let i = 0; i < 40 && ex2.code !== 0 && /retrieve verification key/.test(ex2.stderr); i++) {
        await pause(500);
        ex2 = await exchange(stack, dir, roleArn, second);
      }
      assert.equal(ex2.code, 0, ex2.stderr);
      const ex1again = await exchange(stack, dir, roleArn, first);
      assert.equal(ex1again.code, 0, ex1again.stderr);

      // Two distinct KMS keys, referenced by ARN; no private key material anywhere in the data directory.
      const db = new Database(join(dir, "issuer", "keyless.db"), { readonly: true });
      const rows = db.prepare("SELECT kid, private_key_sealed AS ref FROM issuer_signing_keys").all() as {
        kid: string;
        ref: string;
      }[];
      db.close();
      assert.equal(rows.length, 2);
      for (const r of rows) assert.match(r.ref, /^aws-kms:arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/);
      assert.notEqual(rows[0]!.ref, rows[1]!.ref);
      for (const file of files(join(dir, "issuer"))) {
        const text = readFileSync(file).toString("latin1");
        assert.doesNotMatch(text, /PRIVATE KEY|"d":"/, `${file} holds private key material`);
        assert.doesNotMatch(text, /v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\./, `${file} holds a sealed key`);
      }
      // And the keys are KMS's: DescribeKey on moto answers with the spec asked for.
      const spec = alg === "RS256" ? "RSA_2048" : "ECC_NIST_P256";
      for (const r of rows) {
        const described = await runCommand(
          "aws",
          ["--endpoint-url", moto.url, "kms", "describe-key", "--key-id", r.ref.slice("aws-kms:".length)],
          { env: isolatedEnv(join(dir, "kms-admin"), moto.env("kms")) },
        );
        assert.equal(described.code, 0, described.stderr);
        assert.equal(JSON.parse(described.stdout).KeyMetadata.KeySpec, spec);
      }
    });
  }

  test("KEYLESS_KMS_KEY_IDS: rotation takes the listed keys in order, once each, and says when none is left", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const kmsAdmin = isolatedEnv(join(dir.path, "kms-admin"), moto.env("kms"));
    const kms = (args: string[]) =>
      runCommand("aws", ["--endpoint-url", moto.url, "kms", ...args], { env: kmsAdmin });
    const create = async (spec: string) => {
      const r = await kms(["create-key", "--key-spec", spec, "--key-usage", "SIGN_VERIFY"]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).KeyMetadata as { Arn: string; KeyId: string };
    };
    const [a, b, rsa] = [
      await create("ECC_NIST_P256"),
      await create("ECC_NIST_P256"),
      await create("RSA_2048"),
    ];
    const aliased = await kms([
      "create-alias",
      "--alias-name",
      "alias/keyless-next",
      "--target-key-id",
      b.KeyId,
    ]);
    assert.equal(aliased.code, 0, aliased.stderr);
    const env = (ids: string) => ({
      PATH: process.env.PATH,
      HOME: dir.path,
      KEYLESS_DATA_DIR: join(dir.path, "issuer"),
      KEYLESS_SIGNER: "aws-kms",
      KEYLESS_SIGNING_ALG: "ES256",
      KEYLESS_KMS_KEY_IDS: ids,
      ...moto.env("kms"),
    });
    const ids = `${a.KeyId}, alias/keyless-next`;
    const refs = () => {
      const db = new Database(join(dir.path, "issuer", "keyless.db"), { readonly: true });
      const rows = db
        .prepare("SELECT private_key_sealed AS ref FROM issuer_signing_keys ORDER BY created_at")
        .all();
      db.close();
      return (rows as { ref: string }[]).map((r) => r.ref);
    };

    const first = await runKeyless(["keys", "rotate"], { env: env(ids) });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(refs(), [`aws-kms:${a.Arn}`]);
    // A plain rotation keeps the overlap: the next KMS key is published now and signs later.
    const second = await runKeyless(["keys", "rotate"], { env: env(ids) });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(refs(), [`aws-kms:${a.Arn}`, `aws-kms:${b.Arn}`]);
    const listed = await runKeyless(["keys", "list", "--json"], { env: env(ids) });
    assert.equal(listed.code, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout) as { kid: string; kmsKeyArn: string; state: string }[];
    assert.deepEqual(
      keys.map((k) => [k.kmsKeyArn, k.state]),
      [
        [a.Arn, "active"],
        [b.Arn, "pending"],
      ],
    );

    // The JWKS (here the static copy `keyless publish` writes, with no AWS call) is KMS's public keys.
    const out = join(dir.path, "site");
    const published = await runKeyless(["publish", "--out", out], { env: env(ids) });
    assert.equal(published.code, 0, published.stderr);
    const jwks = JSON.parse(readFileSync(join(out, ".well-known", "jwks"), "utf8")) as JSONWebKeySet;
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), keys.map((k) => k.kid).sort());
    for (const [arn, kid] of [
      [a.Arn, keys[0]!.kid],
      [b.Arn, keys[1]!.kid],
    ] as const) {
      const got = await kms(["get-public-key", "--key-id", arn]);
      assert.equal(got.code, 0, got.stderr);
      const spki = createPublicKey({
        key: Buffer.from(JSON.parse(got.stdout).PublicKey, "base64"),
        format: "der",
        type: "spki",
      }).export({ format: "jwk" });
      const served = jwks.keys.find((k) => k.kid === kid)!;
      assert.deepEqual([served.kty, served.crv, served.x, served.y], [spki.kty, spki.crv, spki.x, spki.y]);
      assert.equal(served.alg, "ES256");
    }

    const none = await runKeyless(["keys", "rotate", "--immediate"], { env: env(ids) });
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /^keyless: every key in KEYLESS_KMS_KEY_IDS has been used/);
    // A key of the wrong spec for the algorithm is refused before it is published.
    const wrong = await runKeyless(["keys", "rotate", "--immediate"], { env: env(`${ids},${rsa.KeyId}`) });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /is RSA_2048 for SIGN_VERIFY; ES256 needs ECC_NIST_P256/);
    assert.equal(refs().length, 2);
    assert.equal(none.stderr.split("\n").filter(Boolean).length, 1, "one line, no stack");
  });

  test("switching KEYLESS_SIGNER takes effect at the next rotation, and the active key keeps signing", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PATH: process.env.PATH, HOME: dir.path, KEYLESS_DATA_DIR: join(dir.path, "issuer") };
    // The server is configured for local keys; the AWS settings are there for a key held in KMS.
    const server = await startServe(["--port", String(port), "--log-level", "warn"], {
      ...env,
      ...moto.env("kms"),
    });
    try {
      const admin = readFileSync(join(dir.path, "issuer", "admin-key"), "utf8").trim();
      const { tokenPath, requestToken } = await seedApplyRunOverHttp(base, admin);
      const mint = async () => {
        const r = await fetch(`${base}${tokenPath}`, {
          headers: { authorization: `Bearer ${requestToken}` },
        });
        assert.equal(r.status, 200, await r.clone().text());
        return ((await r.json()) as { value: string }).value;
      };
      const verifyAll = async (tokens: string[]) => {
        const jwks = (await (await fetch(`${base}/.well-known/jwks`)).json()) as JSONWebKeySet;
        for (const t of tokens)
          await jwtVerify(t, createLocalJWKSet(jwks), { audience: "sts.amazonaws.com" });
      };
      const rotateTo = async (signer: string) => {
        const r = await runKeyless(["keys", "rotate", "--immediate"], {
          env: { ...env, ...moto.env("kms"), KEYLESS_SIGNER: signer },
        });
        assert.equal(r.code, 0, r.stderr);
        const kid = r.stdout.split(" ")[0]!;
        let token = await mint();
        for (let i = 0; i < 100 && decodeProtectedHeader(token).kid !== kid; i++) {
          await pause(200);
          token = await mint();
        }
        assert.equal(decodeProtectedHeader(token).kid, kid);
        return token;
      };
      const local = await mint();
      const viaKms = await rotateTo("aws-kms"); // signed by KMS on a server configured for local keys
      const localAgain = await rotateTo("local");
      await verifyAll([local, viaKms, localAgain]);
      const listed = await runKeyless(["keys", "list", "--json"], { env });
      const custody = (JSON.parse(listed.stdout) as { kmsKeyArn: string | null }[]).map(
        (k) => k.kmsKeyArn !== null,
      );
      assert.deepEqual(custody, [false, true, false]);
    } finally {
      await server.stop();
    }
  });

  test("KMS unreachable: the token endpoint answers a 503 signer-unavailable problem, no stack", async () => {
    const { mint, stack, run } = await kmsIssuer("ES256");
    await mint();
    await moto.stop();
    const r = await curlRunToken(run, stack.tls.caFile, "sts.amazonaws.com");
    assert.notEqual(r.code, 0);
    const body = JSON.parse(r.stdout);
    assert.equal(body.type, "https://keyless.dev/problems/signer-unavailable");
    assert.equal(body.status, 503);
    assert.match(body.detail, /AWS KMS cannot be reached/);
    assert.doesNotMatch(r.stdout, /\bat .*\.js:\d+/);
  });
});
