import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, type JWK } from "jose";
import { problem } from "./errors.js";
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

/**
 * Where new signing keys are made and their private halves kept: `local` (generated here, sealed under the
 * KEK in the store) or `aws-kms` (issuer/aws-kms.ts). Rotation asks it for the next key; the lifecycle
 * (issuer/key-lifecycle.ts) is the same for both.
 */
export interface KeyCustody {
  readonly kind: "local" | "aws-kms";
  /** The next key's record; `existing` is every stored key (a custody that takes keys from a list skips used ones). */
  createKey(
    alg: SigningAlgorithm,
    times: { createdAt: number; activateAt: number },
    existing: readonly SigningKeyRecord[],
  ): Promise<SigningKeyRecord>;
}

/** Keys generated here and sealed under the KEK. */
export function localCustody(kek: KeyEncryptionKey): KeyCustody {
  return { kind: "local", createKey: (alg, times) => generateSigningKey(alg, kek, times) };
}

/** Signs with a key held outside the process (AWS KMS), returning the JWS signature octets (ES256: r||s). */
export interface RemoteSigner {
  sign(keyArn: string, alg: SigningAlgorithm, input: Buffer): Promise<Buffer>;
}

/**
 * A key held in AWS KMS is stored with `privateKeySealed` set to this prefix and the key's ARN: a
 * reference, no key material (a sealed local key starts with `v1.`, so the two never collide).
 */
const KMS_REF_PREFIX = "aws-kms:";
export const kmsKeyRef = (arn: string): string => `${KMS_REF_PREFIX}${arn}`;
/** The KMS key ARN of a key held in AWS KMS, or undefined for a local (sealed) key. */
export const kmsKeyArn = (key: SigningKeyRecord): string | undefined =>
  key.privateKeySealed.startsWith(KMS_REF_PREFIX)
    ? key.privateKeySealed.slice(KMS_REF_PREFIX.length)
    : undefined;

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
  private readonly opened = new Map<string, KeyObject>();
  /** Per kid: the encoded protected header, the same for every token. */
  private readonly headers = new Map<string, string>();
  /** `remote` signs for keys held in AWS KMS (`kmsKeyArn`); without it such keys refuse to sign (503). */
  constructor(
    private readonly kek: KeyEncryptionKey,
    private readonly remote?: RemoteSigner,
  ) {}

  private key(record: SigningKeyRecord): KeyObject {
    let k = this.opened.get(record.kid);
    if (!k) {
      k = createPrivateKey(this.kek.open(record.privateKeySealed, record.kid));
      this.opened.set(record.kid, k);
    }
    return k;
  }

  private header(record: SigningKeyRecord): string {
    let h = this.headers.get(record.kid);
    if (!h) {
      h = b64(JSON.stringify({ alg: record.alg, kid: record.kid, typ: "JWT" }));
      this.headers.set(record.kid, h);
    }
    return h;
  }

  async sign(record: SigningKeyRecord, claims: Record<string, unknown>): Promise<SignedToken> {
    const header = this.header(record);
    const input = `${header}.${b64(JSON.stringify(claims))}`;
    const arn = kmsKeyArn(record);
    if (arn !== undefined) {
      if (!this.remote) throw problem("signer-unavailable", `signing key ${record.kid} is held in AWS KMS`);
      const signature = await this.remote.sign(arn, record.alg, Buffer.from(input));
      return { jwt: `${input}.${signature.toString("base64url")}`, kid: record.kid, alg: record.alg };
    }
    const key = this.key(record);
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
