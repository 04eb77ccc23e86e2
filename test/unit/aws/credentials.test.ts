import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { RoleSession } from "../../../src/aws/credentials/caller.js";
import {
  createSecretResolver,
  newSecretAccessKey,
  newTemporaryAccessKeyId,
} from "../../../src/aws/credentials/credentials.js";
import { loadOrCreateKey } from "../../../src/aws/credentials/key-file.js";
import { SessionSealer } from "../../../src/aws/credentials/session-token.js";
import type { AwsError } from "../../../src/aws/wire/errors.js";
import { verifySigV4 } from "../../../src/aws/wire/sigv4.js";
import { manualClock } from "../../../src/lib/clock.js";
import { cryptoIds } from "../../../src/lib/ids.js";
import { tempDir } from "../../support/tmp.js";

const NOW = Date.UTC(2026, 10, 22, 4, 0, 0);

function session(overrides: Partial<RoleSession> = {}): RoleSession {
  return {
    accessKeyId: newTemporaryAccessKeyId(cryptoIds),
    secretAccessKey: newSecretAccessKey(cryptoIds),
    account: "111111111111",
    roleName: "ci",
    rolePath: "/",
    roleId: "AROAAAAAAAAAAAAAAAAAA",
    sessionName: "s1",
    issuedAt: NOW / 1000,
    expiresAt: NOW / 1000 + 3600,
    tags: [],
    transitiveTagKeys: [],
    ...overrides,
  };
}

async function signedWith(akid: string, secret: string, token?: string) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: akid, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) },
    region: "us-east-1",
    service: "sts",
    sha256: Hash.bind(null, "sha256"),
  });
  const body = "Action=GetCallerIdentity&Version=2011-06-15";
  const r = await signer.sign(
    {
      method: "POST",
      protocol: "http:",
      hostname: "h",
      path: "/",
      query: {},
      headers: { host: "h:1", "content-type": "application/x-www-form-urlencoded" },
      body,
    },
    { signingDate: new Date(NOW) },
  );
  return { method: "POST", url: "/", headers: r.headers as Record<string, string>, body };
}

describe("temporary credentials", () => {
  test("shapes: ASIA + 16 of A-Z2-7, 40-character secrets", () => {
    assert.match(newTemporaryAccessKeyId(cryptoIds), /^ASIA[A-Z2-7]{16}$/);
    assert.match(newSecretAccessKey(cryptoIds), /^[A-Za-z0-9+/]{40}$/);
  });

  test("a sealed token opens under the same key only, and not once altered", () => {
    const key = cryptoIds.bytes(32);
    const s = session();
    const token = new SessionSealer(key, cryptoIds).seal(s);
    assert.deepEqual(new SessionSealer(key, cryptoIds).open(token), s);
    assert.equal(new SessionSealer(cryptoIds.bytes(32), cryptoIds).open(token), undefined);
    const raw = Buffer.from(token, "base64");
    raw[40] = raw[40]! ^ 1;
    assert.equal(new SessionSealer(key, cryptoIds).open(raw.toString("base64")), undefined);
    assert.equal(new SessionSealer(key, cryptoIds).open("not base64 at all!"), undefined);
  });

  test("the key file is created 0600 and reused", () => {
    const dir = tempDir();
    try {
      const a = loadOrCreateKey(dir.path, cryptoIds);
      const b = loadOrCreateKey(dir.path, cryptoIds);
      assert.deepEqual(a, b);
      assert.equal(statSync(join(dir.path, "emulator.key")).mode & 0o777, 0o600);
    } finally {
      dir.cleanup();
    }
  });
});

describe("signed requests with the credential convention", () => {
  const sealer = new SessionSealer(cryptoIds.bytes(32), cryptoIds);
  const resolve = createSecretResolver({ sealer, staticSecret: "test" });
  const clock = manualClock(NOW);

  test("a 12-digit key id with secret test is that account's root; other keys are refused", async () => {
    const caller = await verifySigV4(await signedWith("222222222222", "test"), "sts", resolve, clock);
    assert.deepEqual(caller, { kind: "root", account: "222222222222" });
    await assert.rejects(
      verifySigV4(await signedWith("222222222222", "nope"), "sts", resolve, clock),
      (e: AwsError) => e.code === "SignatureDoesNotMatch",
    );
    await assert.rejects(
      verifySigV4(await signedWith("AKIAIOSFODNN7EXAMPLE", "test"), "sts", resolve, clock),
      (e: AwsError) =>
        e.code === "InvalidClientTokenId" &&
        e.message === "The security token included in the request is invalid.",
    );
  });

  test("the key id `test` is the root of the default account: 123456789012, or the one configured", async () => {
    const byDefault = await verifySigV4(await signedWith("test", "test"), "sts", resolve, clock);
    assert.deepEqual(byDefault, { kind: "root", account: "123456789012" });
    const chosen = createSecretResolver({ sealer, staticSecret: "test", defaultAccount: "210987654321" });
    assert.deepEqual(await verifySigV4(await signedWith("test", "test"), "sts", chosen, clock), {
      kind: "root",
      account: "210987654321",
    });
    await assert.rejects(
      verifySigV4(await signedWith("test", "nope"), "sts", chosen, clock),
      (e: AwsError) => e.code === "SignatureDoesNotMatch",
    );
  });

  test("temporary credentials verify; expired → ExpiredToken; tampered or foreign token → InvalidClientTokenId", async () => {
    const s = session();
    const token = sealer.seal(s);
    const caller = await verifySigV4(
      await signedWith(s.accessKeyId, s.secretAccessKey, token),
      "sts",
      resolve,
      clock,
    );
    assert.equal(caller.kind === "session" && caller.session.roleName, "ci");

    const expired = session({ expiresAt: NOW / 1000 - 1 });
    await assert.rejects(
      verifySigV4(
        await signedWith(expired.accessKeyId, expired.secretAccessKey, sealer.seal(expired)),
        "sts",
        resolve,
        clock,
      ),
      (e: AwsError) =>
        e.code === "ExpiredToken" &&
        e.status === 403 &&
        e.message === "The security token included in the request is expired",
    );
    const tampered = `${token.slice(0, 20)}${token[20] === "A" ? "B" : "A"}${token.slice(21)}`;
    await assert.rejects(
      verifySigV4(await signedWith(s.accessKeyId, s.secretAccessKey, tampered), "sts", resolve, clock),
      (e: AwsError) => e.code === "InvalidClientTokenId",
    );
    const other = session();
    await assert.rejects(
      verifySigV4(await signedWith(other.accessKeyId, s.secretAccessKey, token), "sts", resolve, clock),
      (e: AwsError) => e.code === "InvalidClientTokenId",
    );
  });
});
