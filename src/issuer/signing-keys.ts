import { generateKeyPairSync } from "node:crypto";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, importPKCS8, type JWK, SignJWT } from "jose";
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
 */
export class Signer {
  private readonly opened = new Map<string, Promise<CryptoKey>>();
  constructor(private readonly kek: KeyEncryptionKey) {}

  private key(record: SigningKeyRecord): Promise<CryptoKey> {
    let k = this.opened.get(record.kid);
    if (!k) {
      k = importPKCS8(this.kek.open(record.privateKeySealed, record.kid), record.alg);
      this.opened.set(record.kid, k);
      k.catch(() => this.opened.delete(record.kid));
    }
    return k;
  }

  async sign(record: SigningKeyRecord, claims: Record<string, unknown>): Promise<SignedToken> {
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: record.alg, kid: record.kid, typ: "JWT" })
      .sign(await this.key(record));
    return { jwt, kid: record.kid, alg: record.alg };
  }
}
