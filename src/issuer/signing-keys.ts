import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, type JWK } from "jose";
import type { KeyEncryptionKey } from "./kek.js";
import type { SigningAlgorithm, SigningKeyRecord } from "./model.js";

/** A fresh key pair, sealed for storage. `kid` is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  kek: KeyEncryptionKey,
  times: { createdAt: number; activateAt: number },
): Promise<SigningKeyRecord> {
  const pair =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(jwk, "sha256");
  const pem = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  return {
    kid,
    alg,
    publicJwk: { ...jwk, kid, alg, use: "sig" },
    privateKeySealed: kek.seal(pem, kid),
    createdAt: times.createdAt,
    activateAt: times.activateAt,
    retiredAt: null,
  };
}

/** The public JWK as published: `kid`, `alg`, `use: "sig"`, and no `key_ops` (AWS refuses keys that have it). */
export function publicJwk(key: SigningKeyRecord): JWK {
  return { ...(key.publicJwk as JWK), kid: key.kid, alg: key.alg, use: "sig" };
}

export interface SignedToken {
  readonly jwt: string;
  readonly kid: string;
  readonly alg: SigningAlgorithm;
}

/**
 * Signs with opened keys, kept in memory once decrypted (decrypting and importing per token would cost
 * more than signing). Header: `alg`, `kid`, `typ: JWT` (what GitHub's tokens carry).
 *
 * The JWS compact serialization is written here over node:crypto instead of jose's SignJWT: jose signs
 * through WebCrypto, an asynchronous job per signature whose overhead exceeded the ES256 signature itself
 * in bench/issuer-mint.ts; the format is three base64url parts, and every test verifies our tokens with
 * jose and Python's joserfc, so the hand-written part is checked by independent code.
 */
export class Signer {
  /** Per kid: the opened key and the encoded protected header, both the same for every token. */
  private readonly opened = new Map<string, { key: KeyObject; header: string }>();
  constructor(private readonly kek: KeyEncryptionKey) {}

  private key(record: SigningKeyRecord): { key: KeyObject; header: string } {
    let k = this.opened.get(record.kid);
    if (!k) {
      k = {
        key: createPrivateKey(this.kek.open(record.privateKeySealed, record.kid)),
        header: b64(JSON.stringify({ alg: record.alg, kid: record.kid, typ: "JWT" })),
      };
      this.opened.set(record.kid, k);
    }
    return k;
  }

  async sign(record: SigningKeyRecord, claims: Record<string, unknown>): Promise<SignedToken> {
    const { key, header } = this.key(record);
    const input = `${header}.${b64(JSON.stringify(claims))}`;
    // ES256 signatures are the raw r||s pair (RFC 7518 section 3.4, https://www.rfc-editor.org/rfc/rfc7518#section-3.4), not DER.
    const signature = sign(
      "sha256",
      Buffer.from(input),
      record.alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key,
    );
    return { jwt: `${input}.${signature.toString("base64url")}`, kid: record.kid, alg: record.alg };
  }
}

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64url");
