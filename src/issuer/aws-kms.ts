import { createHash, createPublicKey, verify } from "node:crypto";
import type { KMSClient } from "@aws-sdk/client-kms";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { derToJoseEcdsa } from "./ecdsa-signature.js";
import { problem } from "./errors.js";
import type { SigningAlgorithm, SigningKeyRecord } from "./model.js";
import { type KeyCustody, kmsKeyArn, kmsKeyRef, type RemoteSigner } from "./signing-keys.js";

/**
 * Signing keys held in AWS KMS: the private half never leaves KMS; the store keeps the key's ARN and the
 * public JWK read once with GetPublicKey when the key is taken into use.
 *
 * Key specs and algorithms (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html):
 * RS256 is `RSA_2048` with `RSASSA_PKCS1_V1_5_SHA_256`, ES256 is `ECC_NIST_P256` with `ECDSA_SHA_256`.
 * Sign takes the JWS signing input itself (`MessageType: RAW`) up to KMS's 4096-byte limit and its SHA-256
 * digest (`DIGEST`) beyond (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html).
 *
 * The client is the AWS SDK for JavaScript v3's: credentials, region (`AWS_REGION`) and endpoint
 * (`AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL`) come from its usual chain
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), retries are its standard
 * mode (`AWS_MAX_ATTEMPTS`, https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 * The SDK is loaded on first use, so a local-key issuer never loads it.
 */
export interface AwsKmsOptions {
  /**
   * Keys to take in order at each rotation (ids, ARNs or `alias/…`), each used once; when absent, every
   * rotation creates a key with CreateKey (and tags it with TagResource's permission).
   */
  readonly keyIds?: readonly string[] | undefined;
  /** Written as the `keyless:issuer` tag on keys keyless creates. */
  readonly issuerUrl: string;
}

const SPEC = { RS256: "RSA_2048", ES256: "ECC_NIST_P256" } as const;
const SIGNING_ALGORITHM = { RS256: "RSASSA_PKCS1_V1_5_SHA_256", ES256: "ECDSA_SHA_256" } as const;
/** KMS's limit for `MessageType: RAW`. */
const MAX_RAW_MESSAGE_BYTES = 4096;

/** What `KEYLESS_SIGNER=aws-kms` signs and creates keys with; also the remote signer of a local issuer. */
export class AwsKmsKeys implements RemoteSigner, KeyCustody {
  readonly kind = "aws-kms";
  private client: Promise<{ client: KMSClient; sdk: typeof import("@aws-sdk/client-kms") }> | undefined;

  constructor(private readonly options: AwsKmsOptions) {}

  private kms() {
    this.client ??= import("@aws-sdk/client-kms").then((sdk) => ({ sdk, client: new sdk.KMSClient({}) }));
    return this.client;
  }

  /** The JWS signature of `input` by the KMS key `keyArn`: PKCS#1 v1.5 octets, or r||s for ES256. */
  async sign(keyArn: string, alg: SigningAlgorithm, input: Buffer): Promise<Buffer> {
    const { client, sdk } = await this.kms();
    const raw = input.length <= MAX_RAW_MESSAGE_BYTES;
    const out = await client
      .send(
        new sdk.SignCommand({
          KeyId: keyArn,
          Message: raw ? input : createHash("sha256").update(input).digest(),
          MessageType: raw ? "RAW" : "DIGEST",
          SigningAlgorithm: SIGNING_ALGORITHM[alg],
        }),
      )
      .catch((error: unknown) => {
        throw kmsProblem("Sign", keyArn, error);
      });
    if (!out.Signature)
      throw problem("signer-unavailable", `AWS KMS Sign for ${keyArn} returned no signature`);
    try {
      return alg === "ES256" ? derToJoseEcdsa(out.Signature) : Buffer.from(out.Signature);
    } catch (error) {
      throw problem("signer-unavailable", `AWS KMS Sign for ${keyArn}: ${(error as Error).message}`);
    }
  }

  /**
   * The next key as a record: created (CreateKey), or the first of `keyIds` not yet in `existing`. Its
   * public key comes from GetPublicKey; one test signature, verified here, proves before the key is
   * published that this issuer may sign with it and that the signature is read right.
   * Errors: problem `conflict` when every listed key is used or one does not fit `alg`;
   * `signer-unavailable` (503) for KMS's refusals and outages.
   */
  async createKey(
    alg: SigningAlgorithm,
    times: { createdAt: number; activateAt: number },
    existing: readonly SigningKeyRecord[],
  ): Promise<SigningKeyRecord> {
    const keyId = this.options.keyIds ? await this.nextListedKey(alg, existing) : await this.newKey(alg);
    const { client, sdk } = await this.kms();
    const pub = await client.send(new sdk.GetPublicKeyCommand({ KeyId: keyId })).catch((error: unknown) => {
      throw kmsProblem("GetPublicKey", keyId, error);
    });
    // `keyId` is the ARN already (CreateKey's or DescribeKey's answer). CustomerMasterKeySpec is the
    // deprecated name of KeySpec, which some KMS-compatible services still answer with alone.
    const arn = keyId;
    const spec = pub.KeySpec ?? pub.CustomerMasterKeySpec;
    if (
      spec !== SPEC[alg] ||
      pub.KeyUsage !== "SIGN_VERIFY" ||
      !pub.SigningAlgorithms?.includes(SIGNING_ALGORITHM[alg]) ||
      !pub.PublicKey
    ) {
      throw problem(
        "conflict",
        `AWS KMS key ${arn} is ${spec ?? "?"} for ${pub.KeyUsage ?? "?"}; ${alg} needs ${SPEC[alg]} for SIGN_VERIFY with ${SIGNING_ALGORITHM[alg]}`,
      );
    }
    const publicKey = createPublicKey({ key: Buffer.from(pub.PublicKey), format: "der", type: "spki" });
    const probe = Buffer.from(`keyless key check ${arn}`);
    const signature = await this.sign(arn, alg, probe);
    const ok = verify(
      "sha256",
      probe,
      alg === "ES256" ? { key: publicKey, dsaEncoding: "ieee-p1363" } : publicKey,
      signature,
    );
    if (!ok) throw problem("signer-unavailable", `AWS KMS key ${arn}: a test signature did not verify`);
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk, "sha256");
    return {
      kid,
      alg,
      publicJwk: { ...jwk, kid, alg, use: "sig" },
      privateKeySealed: kmsKeyRef(arn),
      createdAt: times.createdAt,
      activateAt: times.activateAt,
      retiredAt: null,
    };
  }

  private async newKey(alg: SigningAlgorithm): Promise<string> {
    const { client, sdk } = await this.kms();
    const out = await client
      .send(
        new sdk.CreateKeyCommand({
          KeySpec: SPEC[alg],
          KeyUsage: "SIGN_VERIFY",
          Description: `keyless issuer signing key (${alg}) for ${this.options.issuerUrl}`,
          Tags: [{ TagKey: "keyless:issuer", TagValue: this.options.issuerUrl }],
        }),
      )
      .catch((error: unknown) => {
        throw kmsProblem("CreateKey", SPEC[alg], error);
      });
    const arn = out.KeyMetadata?.Arn;
    if (!arn) throw problem("signer-unavailable", "AWS KMS CreateKey returned no key ARN");
    return arn;
  }

  /** The first listed key whose ARN no stored record holds (DescribeKey resolves ids and aliases). */
  private async nextListedKey(alg: SigningAlgorithm, existing: readonly SigningKeyRecord[]): Promise<string> {
    const used = new Set(existing.map(kmsKeyArn).filter((a): a is string => a !== undefined));
    const { client, sdk } = await this.kms();
    for (const id of this.options.keyIds ?? []) {
      const out = await client.send(new sdk.DescribeKeyCommand({ KeyId: id })).catch((error: unknown) => {
        throw kmsProblem("DescribeKey", id, error);
      });
      const meta = out.KeyMetadata;
      if (!meta?.Arn || used.has(meta.Arn)) continue;
      if (meta.KeyState !== "Enabled") {
        throw problem(
          "conflict",
          `AWS KMS key ${meta.Arn} (next in KEYLESS_KMS_KEY_IDS) is ${meta.KeyState}`,
        );
      }
      return meta.Arn;
    }
    throw problem(
      "conflict",
      `every key in KEYLESS_KMS_KEY_IDS has been used; add a new ${SPEC[alg]} SIGN_VERIFY key to the list`,
    );
  }
}

/** Error names KMS (and the SDK) give a request that may succeed later or elsewhere. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  AccessDeniedException: "access denied: the issuer's role needs kms:Sign, kms:GetPublicKey, kms:DescribeKey",
  DisabledException: "the key is disabled",
  KMSInvalidStateException: "the key is not in a usable state (disabled or pending deletion)",
  NotFoundException: "no such key",
  ThrottlingException: "throttled, after the SDK's retries",
  LimitExceededException: "a KMS quota is exceeded",
  KeyUnavailableException: "the key is unavailable for now",
  DependencyTimeoutException: "KMS timed out",
  KMSInternalException: "KMS failed internally",
};

/**
 * A KMS failure as the issuer's `signer-unavailable` problem (503; exit 3 on the CLI): the operation,
 * the key, and KMS's error name, never a stack. Network failures (no answer) say so.
 */
export function kmsProblem(operation: string, key: string, error: unknown) {
  // An answer from KMS is a service exception, which carries `$fault` ("client" or "server"); a request
  // that got no answer (refused, reset, timed out) does not.
  const e = error as { name?: string; message?: string; code?: string; $fault?: unknown };
  const name = e?.name ?? "Error";
  const answered = typeof e?.$fault === "string";
  const why = !answered
    ? (unsent(name, e?.message) ??
      `AWS KMS cannot be reached (${e?.code ?? name}: ${e?.message ?? "no answer"})`)
    : name in DESCRIPTIONS
      ? `${name}: ${DESCRIPTIONS[name]}`
      : `${name}: ${e.message ?? ""}`.trim();
  return problem("signer-unavailable", `AWS KMS ${operation} for ${key} failed: ${why}`, { kmsError: name });
}

/** The SDK's own refusals to send (no Region, no credentials): configuration, not an outage. */
function unsent(name: string, message: string | undefined): string | undefined {
  if (name === "CredentialsProviderError")
    return "no AWS credentials: the SDK's default chain found none (environment, web identity, instance or task role)";
  if (/region is missing/i.test(message ?? "")) return "no AWS Region: set AWS_REGION";
  return undefined;
}
