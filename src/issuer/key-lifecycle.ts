import type { SigningKeyRecord } from "./model.js";

/**
 * When a signing key is published, signs, and disappears — pure functions of the stored keys, the clock
 * and the audit's last token expiry per key, so every process sharing the database agrees without
 * coordination.
 *
 *   created ──(overlap)──▶ activateAt: signs ──(next key activates, or retire)──▶ stops signing
 *     └──────────────── published in JWKS ──────────────────────────────────────────┘ + until its last
 *                                                                          token's exp + AWS's clock skew
 *
 * The overlap exists because AWS caches JWKS for an undocumented time: a key first seen in a token must
 * already be in the copy AWS holds. The retention exists because a token stays acceptable until its exp
 * plus AWS's five-minute skew window ("IAM provides a five-minute window beyond the expiration time
 * specified in the JWT", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html).
 */
export interface KeyPolicy {
  /** Time from publication to first use. Must exceed AWS's JWKS cache. */
  readonly overlapMs: number;
  /** Scheduled rotation: a new key is created when the newest is this old. 0 disables. */
  readonly rotationIntervalMs: number;
}

/** AWS accepts a token up to five minutes past its exp. */
export const AWS_SKEW_MS = 5 * 60 * 1000;

/** Our default overlap: AWS does not document its JWKS cache; a day is far beyond any observed one. */
export const DEFAULT_OVERLAP_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ROTATION_INTERVAL_MS = 30 * 24 * 60 * 60 * 1000;
/** Refused below this: shorter overlaps would race AWS's cache. */
export const MIN_OVERLAP_MS = 15 * 60 * 1000;

export type KeyState =
  /** Published, not yet signing (waiting out the overlap). */
  | "pending"
  /** The key that signs now. */
  | "active"
  /** No longer signs; published until its last token has expired. */
  | "retiring"
  /** No longer published. */
  | "expired";

export interface KeyStatus {
  readonly key: SigningKeyRecord;
  readonly state: KeyState;
  /** When it stopped (or will stop, if known) signing. */
  readonly stoppedSigningAt: number | null;
  /** When it leaves the JWKS (null while it may still sign). */
  readonly unpublishAt: number | null;
}

function activated(k: SigningKeyRecord, now: number): boolean {
  return k.activateAt <= now && (k.retiredAt === null || k.retiredAt > now);
}

/** The key that signs at `now`: the most recently activated, not retired. */
export function signingKey(keys: readonly SigningKeyRecord[], now: number): SigningKeyRecord | undefined {
  let best: SigningKeyRecord | undefined;
  for (const k of keys) {
    if (!activated(k, now)) continue;
    if (
      !best ||
      k.activateAt > best.activateAt ||
      (k.activateAt === best.activateAt && k.createdAt > best.createdAt)
    ) {
      best = k;
    }
  }
  return best;
}

/** When `k` stopped signing, if it has: retired, or superseded by a later key that has activated. */
function stoppedSigningAt(
  k: SigningKeyRecord,
  keys: readonly SigningKeyRecord[],
  now: number,
): number | null {
  let stop: number | null = k.retiredAt !== null && k.retiredAt <= now ? k.retiredAt : null;
  if (k.activateAt > now) return stop; // never signed; only retirement stops it
  for (const other of keys) {
    if (other === k || other.activateAt <= k.activateAt || other.activateAt > now) continue;
    if (other.retiredAt !== null && other.retiredAt <= other.activateAt) continue; // never took over
    if (stop === null || other.activateAt < stop) stop = other.activateAt;
  }
  return stop;
}

/**
 * Every key's state. `lastTokenExpMs(kid)` is the latest exp (ms) of a token the key signed, or null.
 */
export function keyStatuses(
  keys: readonly SigningKeyRecord[],
  now: number,
  lastTokenExpMs: (kid: string) => number | null,
): KeyStatus[] {
  const signer = signingKey(keys, now);
  return keys.map((key) => {
    if (key === signer) return { key, state: "active", stoppedSigningAt: null, unpublishAt: null };
    const stop = stoppedSigningAt(key, keys, now);
    if (stop === null) return { key, state: "pending", stoppedSigningAt: null, unpublishAt: null };
    const unpublishAt = Math.max(stop, lastTokenExpMs(key.kid) ?? 0) + AWS_SKEW_MS;
    return { key, state: now < unpublishAt ? "retiring" : "expired", stoppedSigningAt: stop, unpublishAt };
  });
}

/** Keys to publish: everything not expired (pending keys first of all: that is the pre-publication). */
export function publishedKeys(statuses: readonly KeyStatus[]): SigningKeyRecord[] {
  return statuses.filter((s) => s.state !== "expired").map((s) => s.key);
}

export type RotationDecision =
  | { readonly action: "none" }
  /** No usable key at all (first start): create one that signs at once. */
  | { readonly action: "bootstrap"; readonly activateAt: number }
  /** The schedule says so: create a key that signs after the overlap. */
  | { readonly action: "rotate"; readonly activateAt: number };

/** What the scheduler should do now. A pending key already waiting means a rotation is under way. */
export function scheduledRotation(
  keys: readonly SigningKeyRecord[],
  now: number,
  policy: KeyPolicy,
): RotationDecision {
  const live = keys.filter((k) => k.retiredAt === null || k.retiredAt > now);
  if (live.length === 0) return { action: "bootstrap", activateAt: now };
  if (live.some((k) => k.activateAt > now)) return { action: "none" };
  if (!signingKey(keys, now)) return { action: "bootstrap", activateAt: now };
  if (policy.rotationIntervalMs <= 0) return { action: "none" };
  const newest = Math.max(...live.map((k) => k.createdAt));
  return now - newest >= policy.rotationIntervalMs
    ? { action: "rotate", activateAt: now + policy.overlapMs }
    : { action: "none" };
}
