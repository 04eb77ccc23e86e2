import { createHash, timingSafeEqual } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Clock } from "../../lib/clock.js";
import { AwsError, MESSAGES } from "./errors.js";

/** What the verifier needs of an HTTP request: header names in any case, the body exactly as received. */
export interface SignedRequest {
  readonly method: string;
  /** Path with query string, as received (`/`, `/?Action=...`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** The secret to check a signature with, found from the access key id (and session token, for ASIA keys). */
export interface ResolvedSecret<P> {
  readonly secretAccessKey: string;
  readonly principal: P;
  /** Epoch ms after which the credentials are refused with ExpiredToken (temporary credentials). */
  readonly expiresAtMs?: number;
}

export type SecretResolver<P> = (accessKeyId: string, sessionToken: string | undefined) => ResolvedSecret<P>;

/** Clients sign with their clock; AWS refuses requests more than five minutes off (either way). */
const SKEW_MS = 5 * 60 * 1000;

export function header(headers: SignedRequest["headers"], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const key in headers) {
    if (key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    return Array.isArray(value) ? value.join(",") : value;
  }
  return undefined;
}

const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request\s*,\s*SignedHeaders=([a-z0-9;._-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/i;

export function parseAuthorization(value: string): ParsedAuthorization {
  const m = AUTH_PATTERN.exec(value.trim());
  if (!m) {
    // AWS answers a header it cannot parse with IncompleteSignature; its exact wording varies with what is
    // missing, so this is one factual sentence (emulator choice).
    throw new AwsError(
      "IncompleteSignature",
      "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters in the AWS4-HMAC-SHA256 format.",
    );
  }
  return {
    accessKeyId: m[1]!,
    date: m[2]!,
    region: m[3]!,
    service: m[4]!,
    signedHeaders: m[5]!.toLowerCase().split(";"),
    signature: m[6]!.toLowerCase(),
  };
}

/** `20261122T042026Z` → Date, or undefined when it is not that shape. */
export function parseAmzDate(text: string | undefined): Date | undefined {
  const m = text === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const amzDate = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/**
 * Verifies a SigV4 `Authorization` header the way AWS does: over the received Host and exactly the
 * SignedHeaders, with `x-amz-content-sha256` as the payload hash when present, in any credential-scope
 * region (clients sign IAM with their own region when the endpoint is overridden). The signature itself is
 * computed by @smithy/signature-v4, the code the JS SDK signs with, so "what the SDKs compute" is literal.
 */
export async function verifySigV4<P>(
  request: SignedRequest,
  expectedService: string,
  resolve: SecretResolver<P>,
  clock: Clock,
): Promise<P> {
  const authorization = header(request.headers, "authorization");
  if (authorization === undefined) {
    throw new AwsError("MissingAuthenticationToken", MESSAGES.missingAuthenticationToken);
  }
  const auth = parseAuthorization(authorization);
  const sessionToken = header(request.headers, "x-amz-security-token");
  const resolved = resolve(auth.accessKeyId, sessionToken);

  const dateText = header(request.headers, "x-amz-date");
  const signingDate = parseAmzDate(dateText);
  if (signingDate === undefined || !auth.signedHeaders.includes("host")) {
    throw new AwsError(
      "IncompleteSignature",
      signingDate === undefined
        ? "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        : "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  if (dateText!.slice(0, 8) !== auth.date) {
    throw new AwsError("SignatureDoesNotMatch", MESSAGES.signatureDoesNotMatch);
  }
  if (auth.service !== expectedService) {
    // The scope names another service: AWS reports the credential scope it expected.
    throw new AwsError(
      "SignatureDoesNotMatch",
      `Credential should be scoped to correct service: '${expectedService}'. `,
    );
  }

  // The SDKs that send x-amz-content-sha256 (JS v3) sign it as the payload hash; a body that does not hash
  // to it was altered after signing (AWS's services check it; the query services' wording is not recorded,
  // so this is the signature error).
  const declaredHash = header(request.headers, "x-amz-content-sha256");
  if (
    declaredHash !== undefined &&
    declaredHash !== createHash("sha256").update(request.body, "utf8").digest("hex")
  ) {
    throw new AwsError("SignatureDoesNotMatch", MESSAGES.signatureDoesNotMatch);
  }

  // Null-prototype records: a header or query parameter named "__proto__" or "constructor" is then an
  // ordinary member the client signed, not the record's prototype or an inherited function.
  const signedHeaders: Record<string, string> = Object.create(null);
  for (const name of auth.signedHeaders) {
    const value = header(request.headers, name);
    if (value === undefined) throw new AwsError("SignatureDoesNotMatch", MESSAGES.signatureDoesNotMatch);
    signedHeaders[name] = value;
  }
  const questionMark = request.url.indexOf("?");
  const path = questionMark < 0 ? request.url : request.url.slice(0, questionMark);
  const query: Record<string, string | string[]> = Object.create(null);
  if (questionMark >= 0) {
    for (const [k, v] of new URLSearchParams(request.url.slice(questionMark + 1))) {
      const prior = query[k];
      query[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
    }
  }
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: resolved.secretAccessKey,
      // smithy adds x-amz-security-token to the request when a session token is given: only do so when
      // the client signed it, so the canonical headers are exactly the client's.
      ...(auth.signedHeaders.includes("x-amz-security-token") && sessionToken !== undefined
        ? { sessionToken }
        : {}),
    },
    region: auth.region,
    service: auth.service,
    sha256: Hash.bind(null, "sha256"),
    // The SDKs sign query-protocol requests with the path URI-encoded once (the default).
    uriEscapePath: true,
    // Never add x-amz-content-sha256 of our own: the canonical headers must be exactly the client's.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method.toUpperCase(),
      protocol: "http:",
      hostname: signedHeaders.host ?? "",
      path: path === "" ? "/" : path,
      query,
      headers: signedHeaders,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(auth.signedHeaders) },
  );
  const computed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ""))?.[1] ?? "";
  const ok =
    computed.length === auth.signature.length &&
    timingSafeEqual(Buffer.from(computed, "latin1"), Buffer.from(auth.signature, "latin1"));
  if (!ok) throw new AwsError("SignatureDoesNotMatch", MESSAGES.signatureDoesNotMatch);

  const now = clock();
  if (signingDate.getTime() < now - SKEW_MS) {
    throw new AwsError(
      "SignatureDoesNotMatch",
      `Signature expired: ${dateText} is now earlier than ${amzDate(now - SKEW_MS)} (${amzDate(now)} - 5 min.)`,
    );
  }
  if (signingDate.getTime() > now + SKEW_MS) {
    throw new AwsError(
      "SignatureDoesNotMatch",
      `Signature not yet current: ${dateText} is still later than ${amzDate(now + SKEW_MS)} (${amzDate(now)} + 5 min.)`,
    );
  }
  if (resolved.expiresAtMs !== undefined && now >= resolved.expiresAtMs) {
    throw new AwsError("ExpiredToken", MESSAGES.expiredToken);
  }
  return resolved.principal;
}
