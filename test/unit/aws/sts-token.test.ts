import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, test } from "node:test";
import type { JWK } from "jose";
import type { IdpKeySource } from "../../../src/aws/sts/idp-keys.js";
import { STS_MESSAGES } from "../../../src/aws/sts/messages.js";
import { decodeToken, timeClaim, verifySignature } from "../../../src/aws/sts/token.js";
import { AwsError } from "../../../src/aws/wire/errors.js";
import {
  isJwsAlgorithm,
  JwsKeyError,
  publicKeyFor,
  verifyCompactSignature,
} from "../../../src/core/token/jws.js";

/**
 * The STS web-identity token path below the model (src/aws/sts/token.ts, src/core/token/jws.ts): JWT
 * shape, key selection from the provider's JWKS, algorithms, signature, time claims. Written from the
 * mutants `npm run bench:mutation` left alive (docs/mutation.md). Rules: RFC 7515
 * (https://www.rfc-editor.org/rfc/rfc7515), RFC 7517 (https://www.rfc-editor.org/rfc/rfc7517) and STS's
 * requirements (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
 */
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = {
  ES256: generateKeyPairSync("ec", { namedCurve: "prime256v1" }),
  ES384: generateKeyPairSync("ec", { namedCurve: "secp384r1" }),
  ES512: generateKeyPairSync("ec", { namedCurve: "secp521r1" }),
};
const jwkOf = (k: KeyObject, kid?: string): JWK => ({
  ...(k.export({ format: "jwk" }) as JWK),
  ...(kid !== undefined ? { kid } : {}),
});

const HASH = {
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
};
type Alg = keyof typeof HASH;

function signed(alg: Alg, header: Record<string, unknown>, claims: unknown = { sub: "x" }): string {
  const input = `${b64({ alg, ...header })}.${b64(claims)}`;
  const key = alg.startsWith("RS") ? rsa.privateKey : ec[alg as "ES256"].privateKey;
  const sig = sign(
    HASH[alg],
    Buffer.from(input),
    alg.startsWith("ES") ? { key, dsaEncoding: "ieee-p1363" } : key,
  );
  return `${input}.${sig.toString("base64url")}`;
}

/** A key source over a fixed JWKS that records every call (refresh or not). */
function source(keys: JWK[]): IdpKeySource & { calls: boolean[] } {
  const calls: boolean[] = [];
  return {
    calls,
    keys: async (_issuer, _thumbprints, refresh) => {
      calls.push(refresh);
      return keys;
    },
  };
}

async function verify(token: string, keys: JWK[]): Promise<string> {
  try {
    await verifySignature(token, decodeToken(token), "https://idp.example.com", [], source(keys));
    return "ok";
  } catch (e) {
    assert.ok(e instanceof AwsError, String(e));
    assert.equal(e.code, "InvalidIdentityToken");
    return e.message;
  }
}

const notJwt = (token: string) =>
  assert.throws(
    () => decodeToken(token),
    (e: AwsError) => e.code === "InvalidIdentityToken" && e.message === STS_MESSAGES.notJwt,
    token,
  );

describe("decodeToken: a compact JWS with JSON objects for header and claims", () => {
  test("three base64url parts, nothing else", () => {
    const good = signed("RS256", { kid: "a" });
    assert.deepEqual(decodeToken(good).claims, { sub: "x" });
    notJwt(`${good}.more`);
    notJwt(good.split(".").slice(0, 2).join("."));
    // node decodes '+' and '/' in base64url too: only the alphabet check refuses them.
    const plus = Buffer.from(JSON.stringify({ alg: "RS256", kid: "~~~>" })).toString("base64");
    assert.match(plus, /[+/]/);
    notJwt(`${plus.replace(/=+$/, "")}.${b64({ sub: "x" })}.c2ln`);
    notJwt(`${b64({ alg: "RS256" })}.${b64({ sub: "x" })}.c2ln=`);
    notJwt(`.${b64({ sub: "x" })}.c2ln`);
    notJwt(`${b64({ alg: "RS256" })}..c2ln`);
  });

  test("header and claims must be JSON objects (not arrays, null, strings or numbers)", () => {
    const header = b64({ alg: "RS256" });
    for (const claims of [[], null, "x", 5]) notJwt(`${header}.${b64(claims)}.c2ln`);
    for (const h of [[], null, "x"]) notJwt(`${b64(h)}.${b64({ sub: "x" })}.c2ln`);
    notJwt(`${header}.${b64("{not json")}.c2ln`);
  });
});

describe("verifySignature: the key from the provider's JWKS, the algorithm, the signature", () => {
  test("every algorithm STS accepts verifies, RS256 to ES512", async () => {
    for (const alg of ["RS256", "RS384", "RS512"] as const) {
      assert.equal(await verify(signed(alg, { kid: "r" }), [jwkOf(rsa.publicKey, "r")]), "ok", alg);
    }
    for (const alg of ["ES256", "ES384", "ES512"] as const) {
      assert.equal(await verify(signed(alg, { kid: "e" }), [jwkOf(ec[alg].publicKey, "e")]), "ok", alg);
    }
  });

  test("unsupported algorithms, bad signatures and unusable keys are refused", async () => {
    const key = jwkOf(rsa.publicKey, "r");
    const hs = `${b64({ alg: "HS256", kid: "r" })}.${b64({ sub: "x" })}.c2ln`;
    assert.equal(await verify(hs, [key]), STS_MESSAGES.unsupportedAlg("HS256"));
    const good = signed("RS256", { kid: "r" });
    const [h, , s] = good.split(".");
    assert.equal(await verify(`${h}.${b64({ sub: "y" })}.${s}`, [key]), STS_MESSAGES.badSignature);
    // ES256 named in the header with an RSA key published under the kid: unusable, so a bad signature.
    const es = signed("ES256", { kid: "r" });
    assert.equal(await verify(es, [key]), STS_MESSAGES.badSignature);
  });

  test("keys STS cannot use are skipped: no kid, use enc, key_ops, symmetric", async () => {
    const pub = jwkOf(rsa.publicKey);
    // A kid-less token is verified with the only usable key; a key without kid is never usable.
    assert.equal(await verify(signed("RS256", {}), [{ ...pub, kid: "only" }]), "ok");
    assert.equal(await verify(signed("RS256", {}), [pub]), STS_MESSAGES.noKey);
    assert.equal(
      await verify(signed("RS256", {}), [
        { ...pub, kid: "one" },
        { ...pub, kid: "two" },
      ]),
      STS_MESSAGES.noKey,
    );
    const t = signed("RS256", { kid: "k" });
    assert.equal(await verify(t, [{ ...pub, kid: "k", use: "enc" }]), STS_MESSAGES.noKey);
    assert.equal(await verify(t, [{ ...pub, kid: "k", key_ops: ["verify"] }]), STS_MESSAGES.noKey);
    assert.equal(await verify(t, [{ kty: "oct", k: "c2VjcmV0", kid: "k" }]), STS_MESSAGES.noKey);
    assert.equal(await verify(t, [{ ...pub, kid: "k", use: "sig" }]), "ok");
    // A kid that is not a string matches nothing.
    assert.equal(await verify(signed("RS256", { kid: 7 }), [{ ...pub, kid: "7" }]), STS_MESSAGES.noKey);
  });

  test("more than 100 keys of one type makes that type unusable, not the other", async () => {
    const many = (k: JWK, n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ ...k, kid: `${prefix}${i}` }));
    const r = jwkOf(rsa.publicKey);
    const e = jwkOf(ec.ES256.publicKey);
    const rsaToken = signed("RS256", { kid: "r0" });
    const ecToken = signed("ES256", { kid: "e0" });
    assert.equal(await verify(rsaToken, many(r, 100, "r")), "ok");
    assert.equal(await verify(rsaToken, many(r, 101, "r")), STS_MESSAGES.noKey);
    assert.equal(await verify(ecToken, many(e, 100, "e")), "ok");
    assert.equal(await verify(ecToken, many(e, 101, "e")), STS_MESSAGES.noKey);
    assert.equal(await verify(ecToken, [...many(r, 101, "r"), ...many(e, 1, "e")]), "ok");
    assert.equal(await verify(rsaToken, [...many(r, 1, "r"), ...many(e, 101, "e")]), "ok");
  });

  test("the cached keys first; a refetch only for an unknown kid", async () => {
    const known = source([jwkOf(rsa.publicKey, "k")]);
    const t = signed("RS256", { kid: "k" });
    await verifySignature(t, decodeToken(t), "https://idp.example.com", [], known);
    assert.deepEqual(known.calls, [false]);
    const unknown = source([jwkOf(rsa.publicKey, "other")]);
    await assert.rejects(verifySignature(t, decodeToken(t), "https://idp.example.com", [], unknown));
    assert.deepEqual(unknown.calls, [false, true]);
  });
});

describe("timeClaim: NumericDate as an integer, or a string of one", () => {
  test("integers and digit strings are read; anything else is refused", () => {
    const read = (v: unknown) => timeClaim({ exp: v }, "exp");
    assert.equal(read(undefined), undefined);
    assert.equal(read(null), undefined);
    assert.equal(read(1700000000), 1700000000);
    assert.equal(read("1700000000"), 1700000000);
    assert.equal(read("-5"), -5);
    assert.equal(read("123456789012345"), 123456789012345);
    for (const bad of [
      1.5,
      Number.MAX_SAFE_INTEGER + 1,
      "1234567890123456",
      "12a",
      "a12",
      "",
      "1.5",
      true,
      {},
    ]) {
      assert.throws(
        () => read(bad),
        (e: AwsError) => e.code === "InvalidIdentityToken" && e.message === STS_MESSAGES.badTimeClaim("exp"),
        String(bad),
      );
    }
  });
});

describe("jws: algorithms and keys", () => {
  test("isJwsAlgorithm knows exactly the six STS algorithms", () => {
    for (const alg of ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"])
      assert.equal(isJwsAlgorithm(alg), true);
    for (const alg of ["HS256", "none", "PS256", "toString", "", 5, undefined, {}])
      assert.equal(isJwsAlgorithm(alg), false);
  });

  test("the key must fit the algorithm: type, curve, RSA size, valid material", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    const message = (f: () => unknown) => {
      try {
        f();
        return "no error";
      } catch (e) {
        assert.ok(e instanceof JwsKeyError);
        return e.message;
      }
    };
    assert.equal(
      message(() => publicKeyFor(jwkOf(ec.ES256.publicKey), "RS256")),
      "RS256 needs an RSA key",
    );
    assert.equal(
      message(() => publicKeyFor(jwkOf(small), "RS384")),
      "RS384 needs an RSA key of at least 2048 bits",
    );
    assert.equal(
      message(() => publicKeyFor(jwkOf(ec.ES384.publicKey), "ES256")),
      "ES256 needs an EC key on prime256v1",
    );
    assert.equal(
      message(() => publicKeyFor(jwkOf(rsa.publicKey), "ES512")),
      "ES512 needs an EC key on secp521r1",
    );
    assert.match(
      message(() => publicKeyFor({ kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA" }, "ES256")),
      /^unusable key: /,
    );
    assert.equal(
      message(() => publicKeyFor(jwkOf(rsa.publicKey), "RS512")),
      "no error",
    );
  });

  test("an ECDSA signature of the wrong length is refused before verification", () => {
    const t = signed("ES256", {});
    const [h, p, s] = t.split(".");
    const key = jwkOf(ec.ES256.publicKey);
    assert.equal(verifyCompactSignature(t, key, "ES256"), true);
    const longer = Buffer.concat([Buffer.from(s!, "base64url"), Buffer.alloc(1)]).toString("base64url");
    assert.equal(verifyCompactSignature(`${h}.${p}.${longer}`, key, "ES256"), false);
    const der = sign("sha256", Buffer.from(`${h}.${p}`), ec.ES256.privateKey).toString("base64url");
    assert.equal(verifyCompactSignature(`${h}.${p}.${der}`, key, "ES256"), false);
  });
});
