import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { createSecretResolver } from "../../../src/aws/credentials/credentials.js";
import { SessionSealer } from "../../../src/aws/credentials/session-token.js";
import { verifySigV4 } from "../../../src/aws/wire/sigv4.js";
import { manualClock } from "../../../src/lib/clock.js";
import { cryptoIds } from "../../../src/lib/ids.js";

const NOW = Date.UTC(2026, 10, 22, 4, 0, 0);

/**
 * A signed GET whose query string holds members named `__proto__` and `constructor`: the verifier must
 * read them as ordinary parameters (the client signed them), never as the parsed query's prototype or
 * its inherited constructor.
 */
async function signedGet(query: Record<string, string>) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: "123456789012", secretAccessKey: "test" },
    region: "us-east-1",
    service: "sts",
    sha256: Hash.bind(null, "sha256"),
  });
  const r = await signer.sign(
    { method: "GET", protocol: "http:", hostname: "h", path: "/", query, headers: { host: "h:1" } },
    { signingDate: new Date(NOW) },
  );
  const search = new URLSearchParams(Object.entries(query)).toString();
  return { method: "GET", url: `/?${search}`, headers: r.headers as Record<string, string>, body: "" };
}

describe("SigV4 verification of query parameters named __proto__ / constructor", () => {
  const resolve = createSecretResolver({
    sealer: new SessionSealer(cryptoIds.bytes(32), cryptoIds),
    staticSecret: "test",
  });

  test("they are signed parameters like any other: the signature verifies", async () => {
    // JSON.parse makes "__proto__" an own member (an object literal would set the prototype instead).
    const query = JSON.parse(
      '{"Action":"GetCallerIdentity","Version":"2011-06-15","__proto__":"x","constructor":"y"}',
    ) as Record<string, string>;
    const caller = await verifySigV4(await signedGet(query), "sts", resolve, manualClock(NOW));
    assert.deepEqual(caller, { kind: "root", account: "123456789012" });
    assert.equal(({} as { x?: unknown }).x, undefined);
  });
});
