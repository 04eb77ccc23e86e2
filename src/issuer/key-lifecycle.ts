import { KeylessError } from "../lib/errors.js";
import type { SigningKeyRecord } from "./model.js";

/**
 * When a signing key is published, signs, and disappears: a state machine whose state is a pure function
 * of facts that are written once and never undone (createdAt, activateAt, retiredAt) plus the clock and the
 * audit's last token expiry per key, so every process sharing the database agrees without coordination.
 *
 *   pending ──(activateAt)──▶ active ──(a newer key activates)──▶ superseded ──(last exp + skew)──▶ retired
 *      │                        │                                     │                              ▲
 *      └──────(retire)──────────┴──(retire: refused, rotate first)────┴──(retire)──▶ retiring ───────┘
 *
 * Published in the JWKS in every state but `retired`. Nothing leaves `superseded`, `retiring` or `retired`
 * for `active` or `pending`: a key that stopped signing never signs again, and a key that left the JWKS
 * never returns to it, whatever is retired later.
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
  /** The key that signs now (at most one). */
  | "active"
  /** A newer key took over; published until its last token has expired. Never signs again. */
  | "superseded"
  /** Retired by an operator; published until its last token has expired. Never signs again. */
  | "retiring"
  /** No longer published. Terminal. */
  | "retired";

/** Every transition a key may make; `transition` refuses anything else. */
export const TRANSITIONS = {
  pending: ["active", "retiring"],
  // active → retiring is a key retired while it signed: `retire` refuses it (nothing else could sign, since
  // superseded keys never sign again); stores written before this table have such keys.
  active: ["superseded", "retiring"],
  superseded: ["retiring", "retired"],
  retiring: ["retired"],
  retired: [],
} as const satisfies Record<KeyState, readonly KeyState[]>;

/** A transition of the table, as a type: `{ from: "retired", to: "active" }` does not compile. */
export type KeyTransition = {
  [S in KeyState]: { readonly from: S; readonly to: (typeof TRANSITIONS)[S][number] };
}[KeyState];

/** A transition outside the table was asked for (exit class input: the operator asked for it). */
export class KeyTransitionError extends KeylessError<"ERR_KEY_TRANSITION"> {
  readonly code = "ERR_KEY_TRANSITION";
  readonly exitClass = "input";
  constructor(
    readonly from: KeyState,
    readonly to: KeyState,
  ) {
    super(`a signing key cannot go from ${from} to ${to}`);
  }
}

/** Whether `from → to` is in the table. */
export function isTransition(from: KeyState, to: KeyState): boolean {
  return (TRANSITIONS[from] as readonly KeyState[]).includes(to);
}

/** The state after `from → to`; throws `KeyTransitionError` for a transition not in the table. */
export function transition(from: KeyState, to: KeyState): KeyState {
  if (!isTransition(from, to)) throw new KeyTransitionError(from, to);
  return to;
}

export interface KeyStatus {
  readonly key: SigningKeyRecord;
  readonly state: KeyState;
  /** When a newer key took over from it (set once, even if that key is retired later), or null. */
  readonly supersededAt: number | null;
  /** When it stopped signing (superseded or retired, whichever came first), or null while it may sign. */
  readonly stoppedSigningAt: number | null;
  /** When it leaves the JWKS (null while it may still sign). */
  readonly unpublishAt: number | null;
}

/** A key signs from activateAt unless it was retired before then (a cancelled rotation). */
const tookOver = (k: SigningKeyRecord): boolean => k.retiredAt === null || k.retiredAt > k.activateAt;

/** The order in which keys take over: activation time, then creation, then kid (a total order). */
function later(a: SigningKeyRecord, b: SigningKeyRecord): boolean {
  if (a.activateAt !== b.activateAt) return a.activateAt > b.activateAt;
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt;
  return a.kid > b.kid;
}

/** When the first key after `k` (in take-over order) took over, whether or not it was retired since. */
function supersededAt(k: SigningKeyRecord, keys: readonly SigningKeyRecord[]): number | null {
  if (!tookOver(k)) return null;
  let at: number | null = null;
  for (const o of keys) {
    if (o === k || !tookOver(o) || !later(o, k)) continue;
    if (at === null || o.activateAt < at) at = o.activateAt;
  }
  return at;
}

/**
 * The key that signs at `now`, or undefined: the last key in take-over order that has activated, unless
 * it has been retired. Never an older key: a superseded key stays superseded.
 */
export function signingKey(keys: readonly SigningKeyRecord[], now: number): SigningKeyRecord | undefined {
  let last: SigningKeyRecord | undefined;
  for (const k of keys) {
    if (tookOver(k) && k.activateAt <= now && (!last || later(k, last))) last = k;
  }
  return last && (last.retiredAt === null || last.retiredAt > now) ? last : undefined;
}

/**
 * One key's state at `now`, by replaying its dated events through `transition` (so a derivation that
 * would break the table throws instead of publishing something wrong). `lastTokenExpMs` is the latest
 * exp (ms) of a token it signed, or null.
 */
export function keyStatus(
  key: SigningKeyRecord,
  keys: readonly SigningKeyRecord[],
  now: number,
  lastTokenExpMs: number | null,
): KeyStatus {
  const events: { at: number; to: KeyState }[] = [];
  if (tookOver(key)) events.push({ at: key.activateAt, to: "active" });
  let superseded = supersededAt(key, keys);
  // A key retired while it signed (older stores) stopped then; a later key does not supersede it.
  if (superseded !== null && key.retiredAt !== null && key.retiredAt < superseded) superseded = null;
  if (superseded !== null) events.push({ at: superseded, to: "superseded" });
  const stop = Math.min(superseded ?? Infinity, key.retiredAt ?? Infinity);
  const unpublishAt = stop === Infinity ? null : Math.max(stop, lastTokenExpMs ?? 0) + AWS_SKEW_MS;
  // Retiring a key that had already left the JWKS changes nothing (older stores allowed it).
  if (key.retiredAt !== null && (unpublishAt === null || key.retiredAt < unpublishAt)) {
    events.push({ at: key.retiredAt, to: "retiring" });
  }
  if (unpublishAt !== null) events.push({ at: unpublishAt, to: "retired" });
  events.sort((a, b) => a.at - b.at); // stable: same-time events keep the order above
  let state: KeyState = "pending";
  for (const e of events) {
    if (e.at > now) break;
    state = transition(state, e.to);
  }
  const stopped = stop <= now ? stop : null;
  return {
    key,
    state,
    supersededAt: superseded !== null && superseded <= now ? superseded : null,
    stoppedSigningAt: stopped,
    unpublishAt: stopped === null ? null : unpublishAt,
  };
}

/** Every key's state. `lastTokenExpMs(kid)` is the latest exp (ms) of a token the key signed, or null. */
export function keyStatuses(
  keys: readonly SigningKeyRecord[],
  now: number,
  lastTokenExpMs: (kid: string) => number | null,
): KeyStatus[] {
  return keys.map((key) => keyStatus(key, keys, now, lastTokenExpMs(key.kid)));
}

/** Keys to publish: everything not retired (pending keys first of all: that is the pre-publication). */
export function publishedKeys(statuses: readonly KeyStatus[]): SigningKeyRecord[] {
  return statuses.filter((s) => s.state !== "retired").map((s) => s.key);
}

export type RotationDecision =
  | { readonly action: "none" }
  /** No key signs (first start, or only retired keys): create one that signs at once. */
  | { readonly action: "bootstrap"; readonly activateAt: number }
  /** The schedule says so: create a key that signs after the overlap. */
  | { readonly action: "rotate"; readonly activateAt: number };

/** What the scheduler should do now. A pending key already waiting means a rotation is under way. */
export function scheduledRotation(
  keys: readonly SigningKeyRecord[],
  now: number,
  policy: KeyPolicy,
): RotationDecision {
  if (!signingKey(keys, now)) return { action: "bootstrap", activateAt: now };
  const live = keys.filter((k) => k.retiredAt === null || k.retiredAt > now);
  if (live.some((k) => k.activateAt > now)) return { action: "none" };
  if (policy.rotationIntervalMs <= 0) return { action: "none" };
  const newest = Math.max(...live.map((k) => k.createdAt));
  return now - newest >= policy.rotationIntervalMs
    ? { action: "rotate", activateAt: now + policy.overlapMs }
    : { action: "none" };
}
