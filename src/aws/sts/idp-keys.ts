import { createHash } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import type { JWK } from "jose";
import type { Clock } from "../../lib/clock.js";
import { httpGet } from "../../lib/http-get.js";
import { parseJson } from "../../lib/json.js";
import { AwsError } from "../wire/errors.js";
import { STS_MESSAGES } from "./messages.js";

/** Fetches an issuer's discovery document and JWKS, as STS does, with a cache. */
export interface IdpKeySource {
  /** The issuer's keys; `refresh` asks for a fresh copy (an unknown `kid`), subject to a minimum interval. */
  keys(issuer: string, thumbprints: readonly string[], refresh: boolean): Promise<readonly JWK[]>;
}

export interface IdpKeySourceOptions {
  /** Extra CA certificates (PEM) trusted besides the system store (`--trust-ca`). */
  readonly trustedCas: readonly string[];
  /** Host → base URL: fetch `https://HOST/...` from the mapped address instead (`--issuer-alias`). */
  readonly aliases: ReadonlyMap<string, string>;
  readonly clock: Clock;
  /** How long fetched keys are used before fetching again. */
  readonly ttlMs?: number;
  /** An unknown kid triggers at most one refetch per issuer per this interval, counted from the last attempt. */
  readonly minRefreshMs?: number;
  readonly timeoutMs?: number;
  /** After a failed fetch, no new attempt for this long (ms); doubled by each further failure. */
  readonly minBackoffMs?: number;
  /** The longest wait between attempts while the provider keeps failing (ms). */
  readonly maxBackoffMs?: number;
}

const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** TLS failures that mean "not trusted by a CA" (AWS then falls back to the thumbprints). */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

interface Fetched {
  readonly keys: readonly JWK[];
  readonly at: number;
}

/** The last failed fetch of an issuer's keys: its error is answered again, without a connection, until `until`. */
interface Failure {
  readonly error: AwsError;
  readonly at: number;
  readonly until: number;
  readonly backoffMs: number;
}

/**
 * The emulator's view of an identity provider's keys, as STS behaves (thumbprints:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html;
 * errors: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html):
 * - `<iss>/.well-known/openid-configuration`, then its `jwks_uri`, over HTTPS only;
 * - TLS verified against the system CAs plus `--trust-ca`; only when that fails, the SHA-1 of the top
 *   certificate of the served chain must be one of the provider's thumbprints;
 * - cached for a TTL, refetched once on an unknown kid (rate-limited), one fetch in flight per issuer;
 * - a failed fetch is remembered: until its back-off ends (1 s, doubling to 30 s while failures go on,
 *   reset by a success) requests that need a fetch get the same error at once, without a connection, so
 *   an outage costs the provider one connection per back-off and callers no timeout each (AWS documents
 *   no figure: the choice is in docs/emulator.md). Keys still within their TTL keep verifying meanwhile;
 * - unreachable (connection, timeout, HTTP error) → IDPCommunicationError; reachable but unusable →
 *   InvalidIdentityToken "Couldn't retrieve verification key…".
 * The issuer alias changes only where the bytes come from: the token's `iss`, the provider's ARN and
 * every condition key keep the real host. TLS for an aliased fetch is checked against the mapped host
 * (the local issuer's certificate names 127.0.0.1, not the public host).
 */
export function createIdpKeySource(options: IdpKeySourceOptions): IdpKeySource {
  const ttl = options.ttlMs ?? 10 * 60 * 1000;
  const minRefresh = options.minRefreshMs ?? 5 * 1000;
  const timeout = options.timeoutMs ?? 5000;
  const minBackoff = options.minBackoffMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 30 * 1000;
  const ca = options.trustedCas;
  const cache = new Map<string, Fetched>();
  const inFlight = new Map<string, Promise<Fetched>>();
  const failures = new Map<string, Failure>();

  const mapUrl = (url: string): URL => {
    const parsed = new URL(url);
    const target = options.aliases.get(parsed.host) ?? options.aliases.get(parsed.hostname);
    if (!target) return parsed;
    const base = new URL(target);
    return new URL(`${parsed.pathname}${parsed.search}`, `${base.protocol}//${base.host}`);
  };

  async function getJson(url: string, thumbprints: readonly string[]): Promise<unknown> {
    let target: URL;
    try {
      target = mapUrl(url);
    } catch {
      throw new AwsError("InvalidIdentityToken", STS_MESSAGES.noKey);
    }
    if (target.protocol !== "https:") throw new AwsError("InvalidIdentityToken", STS_MESSAGES.noKey);
    const get = (rejectUnauthorized: boolean) =>
      httpGet(target, {
        ca,
        rejectUnauthorized,
        timeoutMs: timeout,
        maxBytes: MAX_DOCUMENT_BYTES,
        headers: { accept: "application/json" },
      });
    let response: { status: number; body: string };
    try {
      response = await get(true);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (!UNTRUSTED.has(code)) throw new AwsError("IDPCommunicationError", STS_MESSAGES.idpUnreachable(url));
      // Not CA-trusted: AWS falls back to the provider's thumbprints.
      const untrusted = await get(false).catch(() => {
        throw new AwsError("IDPCommunicationError", STS_MESSAGES.idpUnreachable(url));
      });
      const thumbprint = topThumbprint(untrusted.peerCertificate);
      if (!thumbprint || !thumbprints.includes(thumbprint)) {
        throw new AwsError("InvalidIdentityToken", STS_MESSAGES.thumbprint);
      }
      response = untrusted;
    }
    if (response.status >= 500) throw new AwsError("IDPCommunicationError", STS_MESSAGES.idpUnreachable(url));
    if (response.status !== 200) throw new AwsError("InvalidIdentityToken", STS_MESSAGES.noKey);
    try {
      return parseJson(response.body);
    } catch {
      throw new AwsError("InvalidIdentityToken", STS_MESSAGES.noKey);
    }
  }

  async function fetchKeys(issuer: string, thumbprints: readonly string[]): Promise<Fetched> {
    const discoveryUrl = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const discovery = (await getJson(discoveryUrl, thumbprints)) as Record<string, unknown> | null;
    const jwksUri = discovery && typeof discovery === "object" ? discovery.jwks_uri : undefined;
    if (typeof jwksUri !== "string" || typeof discovery?.issuer !== "string") {
      throw new AwsError("InvalidIdentityToken", STS_MESSAGES.noKey);
    }
    const jwks = (await getJson(jwksUri, thumbprints)) as { keys?: unknown } | null;
    if (!jwks || typeof jwks !== "object" || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
      throw new AwsError("InvalidIdentityToken", STS_MESSAGES.noKey);
    }
    return {
      keys: jwks.keys.filter((k): k is JWK => typeof k === "object" && k !== null),
      at: options.clock(),
    };
  }

  /** One fetch for every caller waiting on this issuer; its outcome updates the cache or the back-off. */
  function fetchShared(cacheKey: string, issuer: string, thumbprints: readonly string[]): Promise<Fetched> {
    let pending = inFlight.get(cacheKey);
    if (pending) return pending;
    pending = fetchKeys(issuer, thumbprints).then(
      (fetched) => {
        cache.set(cacheKey, fetched);
        failures.delete(cacheKey);
        return fetched;
      },
      (error: unknown) => {
        if (error instanceof AwsError) {
          const previous = failures.get(cacheKey);
          const backoffMs = previous ? Math.min(previous.backoffMs * 2, maxBackoff) : minBackoff;
          const at = options.clock();
          failures.set(cacheKey, { error, at, until: at + backoffMs, backoffMs });
        }
        throw error;
      },
    );
    pending = pending.finally(() => inFlight.delete(cacheKey));
    inFlight.set(cacheKey, pending);
    return pending;
  }

  return {
    async keys(issuer, thumbprints, refresh) {
      const cacheKey = `${issuer}\n${thumbprints.join(",")}`;
      const cached = cache.get(cacheKey);
      const failure = failures.get(cacheKey);
      const now = options.clock();
      const backingOff = failure !== undefined && now < failure.until;
      if (cached && now - cached.at < ttl) {
        if (!refresh) return cached.keys;
        // An unknown kid: refetch at most once per interval since the last attempt, failed ones included.
        const lastAttempt = Math.max(cached.at, failure?.at ?? 0);
        if (now - lastAttempt < minRefresh) {
          // The latest attempt failed: its error (retryable when the provider is unreachable), not "no key".
          if (failure && failure.at > cached.at) throw failure.error;
          return cached.keys;
        }
      }
      if (backingOff) throw failure.error;
      return (await fetchShared(cacheKey, issuer, thumbprints)).keys;
    },
  };
}

/** SHA-1 (hex) of the top certificate of the served chain: the top intermediate, or the self-signed root. */
function topThumbprint(leaf: PeerCertificate | undefined): string | undefined {
  if (!leaf?.raw) return undefined;
  let cert: PeerCertificate = leaf;
  const seen = new Set<string>();
  for (;;) {
    seen.add(cert.fingerprint256);
    const issuer: PeerCertificate | undefined = (
      cert as PeerCertificate & { issuerCertificate?: PeerCertificate }
    ).issuerCertificate;
    if (!issuer?.raw || seen.has(issuer.fingerprint256)) break;
    cert = issuer;
  }
  return createHash("sha1").update(cert.raw).digest("hex");
}
