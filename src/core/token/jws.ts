import { createPublicKey, type KeyObject, verify } from "node:crypto";
import type { JWK } from "jose";

/**
 * JWS signature verification for the algorithms STS accepts (RS256/384/512, ES256/384/512), on
 * node:crypto KeyObjects. Hand-written because jose's compactVerify goes through WebCrypto and costs
 * about 128 µs per RS256 token here against 25 µs for crypto.verify (bench/policy-engine.ts has the
 * engine's side; the emulator's throughput is bench/emulator-vs-moto.ts), and the emulator verifies a
 * signature on every AssumeRoleWithWebIdentity. jose still decodes headers and claims elsewhere and
 * exports keys; the rules it applies on import are kept here: the key type and curve must match
 * the algorithm, and RSA keys must be at least 2048 bits.
 */
export type JwsAlgorithm = "RS256" | "RS384" | "RS512" | "ES256" | "ES384" | "ES512";

const SPEC: Record<
  JwsAlgorithm,
  { hash: string; kty: "RSA" | "EC"; curve?: string; signatureBytes?: number }
> = {
  RS256: { hash: "sha256", kty: "RSA" },
  RS384: { hash: "sha384", kty: "RSA" },
  RS512: { hash: "sha512", kty: "RSA" },
  ES256: { hash: "sha256", kty: "EC", curve: "prime256v1", signatureBytes: 64 },
  ES384: { hash: "sha384", kty: "EC", curve: "secp384r1", signatureBytes: 96 },
  ES512: { hash: "sha512", kty: "EC", curve: "secp521r1", signatureBytes: 132 },
};

export const isJwsAlgorithm = (alg: unknown): alg is JwsAlgorithm =>
  typeof alg === "string" && Object.hasOwn(SPEC, alg);

export class JwsKeyError extends Error {}

const keyCache = new WeakMap<JWK, KeyObject>();

/** The JWK as a public KeyObject, checked against the algorithm (cached per JWK object). */
export function publicKeyFor(jwk: JWK, alg: JwsAlgorithm): KeyObject {
  let key = keyCache.get(jwk);
  if (!key) {
    try {
      // The JWK's own alg/use members do not matter here: the JWT header's alg decides (STS's rule).
      const { alg: _alg, use: _use, key_ops: _ops, ...material } = jwk;
      key = createPublicKey({ key: material as import("node:crypto").JsonWebKey, format: "jwk" });
    } catch (error) {
      throw new JwsKeyError(`unusable key: ${(error as Error).message}`);
    }
    keyCache.set(jwk, key);
  }
  const spec = SPEC[alg];
  const details = key.asymmetricKeyDetails;
  if (spec.kty === "RSA") {
    if (key.asymmetricKeyType !== "rsa") throw new JwsKeyError(`${alg} needs an RSA key`);
    if ((details?.modulusLength ?? 0) < 2048)
      throw new JwsKeyError(`${alg} needs an RSA key of at least 2048 bits`);
  } else if (key.asymmetricKeyType !== "ec" || details?.namedCurve !== spec.curve) {
    throw new JwsKeyError(`${alg} needs an EC key on ${spec.curve}`);
  }
  return key;
}

/** Whether the compact JWS `token` carries a valid `alg` signature by `jwk`. */
export function verifyCompactSignature(token: string, jwk: JWK, alg: JwsAlgorithm): boolean {
  const key = publicKeyFor(jwk, alg);
  const lastDot = token.lastIndexOf(".");
  const signature = Buffer.from(token.slice(lastDot + 1), "base64url");
  const spec = SPEC[alg];
  if (spec.signatureBytes !== undefined && signature.length !== spec.signatureBytes) return false;
  const data = Buffer.from(token.slice(0, lastDot), "ascii");
  return verify(spec.hash, data, spec.kty === "EC" ? { key, dsaEncoding: "ieee-p1363" } : key, signature);
}
