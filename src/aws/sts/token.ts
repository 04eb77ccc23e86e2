import type { JWK } from "jose";
import { isJwsAlgorithm, verifyCompactSignature } from "../../core/token/jws.js";
import { AwsError } from "../wire/errors.js";
import type { IdpKeySource } from "./idp-keys.js";
import { STS_MESSAGES } from "./messages.js";

/** The algorithms STS accepts (RSA since the start, ECDSA since 2024-11-20). */
export const ALLOWED_ALGS = new Set(["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]);
const MAX_KEYS_PER_TYPE = 100;

export interface DecodedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
}

const invalid = (message: string) => new AwsError("InvalidIdentityToken", message);

/** Step 5: three base64url parts with JSON objects for header and payload (duplicate members: last wins). */
export function decodeToken(token: string): DecodedToken {
  const parts = token.split(".");
  if (
    parts.length !== 3 ||
    parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) ||
    parts[0] === "" ||
    parts[1] === ""
  ) {
    throw invalid(STS_MESSAGES.notJwt);
  }
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
    if (!isRecord(header) || !isRecord(claims)) throw new Error("not objects");
    return { header, claims };
  } catch {
    throw invalid(STS_MESSAGES.notJwt);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Keys STS can use: with a kid, not `use: enc`, no `key_ops` at all, RSA or EC (JWK members: RFC 7517 section 4, https://www.rfc-editor.org/rfc/rfc7517#section-4;
 * supported algorithms: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
 */
function usable(keys: readonly JWK[]): JWK[] {
  const byKid = new Map<string, JWK>();
  for (const k of keys) {
    if (typeof k.kid !== "string" || k.use === "enc" || k.key_ops !== undefined) continue;
    if (k.kty !== "RSA" && k.kty !== "EC") continue;
    byKid.delete(k.kid); // a later duplicate kid replaces the earlier one
    byKid.set(k.kid, k);
  }
  const all = [...byKid.values()];
  // More than 100 keys of a type makes that type unusable (RSA tokens fail while EC ones still work).
  const rsa = all.filter((k) => k.kty === "RSA");
  const ec = all.filter((k) => k.kty === "EC");
  return [...(rsa.length > MAX_KEYS_PER_TYPE ? [] : rsa), ...(ec.length > MAX_KEYS_PER_TYPE ? [] : ec)];
}

/** usable() per fetched key set: the key source hands out the same array until it refetches. */
const usableByKeySet = new WeakMap<readonly JWK[], JWK[]>();

function select(keys: readonly JWK[], kid: unknown): JWK | undefined {
  let candidates = usableByKeySet.get(keys);
  if (!candidates) {
    candidates = usable(keys);
    usableByKeySet.set(keys, candidates);
  }
  if (kid === undefined) return candidates.length === 1 ? candidates[0] : undefined;
  return typeof kid === "string" ? candidates.find((k) => k.kid === kid) : undefined;
}

/** Steps 8–9: find the key (refetching once on an unknown kid) and verify the signature. */
export async function verifySignature(
  token: string,
  decoded: DecodedToken,
  issuer: string,
  thumbprints: readonly string[],
  source: IdpKeySource,
): Promise<void> {
  const alg = decoded.header.alg;
  const kid = decoded.header.kid;
  let jwk = select(await source.keys(issuer, thumbprints, false), kid);
  if (!jwk) jwk = select(await source.keys(issuer, thumbprints, true), kid);
  if (!jwk) throw invalid(STS_MESSAGES.noKey);
  if (!isJwsAlgorithm(alg) || !ALLOWED_ALGS.has(alg)) throw invalid(STS_MESSAGES.unsupportedAlg(String(alg)));
  let valid: boolean;
  try {
    valid = verifyCompactSignature(token, jwk, alg);
  } catch {
    // An unusable key (wrong type or curve, short RSA) or a signature node cannot parse.
    throw invalid(STS_MESSAGES.badSignature);
  }
  if (!valid) throw invalid(STS_MESSAGES.badSignature);
}

/** A time claim as STS reads it: an integer (RFC 7519 NumericDate), or a string holding one. */
export function timeClaim(claims: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  throw invalid(STS_MESSAGES.badTimeClaim(name));
}
