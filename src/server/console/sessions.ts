import { createHash, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../lib/clock.js";
import type { IdGenerator } from "../../lib/ids.js";

/** One signed-in browser: the API key it signed in with stays here, in the server's memory, never in a page. */
export interface ConsoleSession {
  readonly id: string;
  /** The API key the session acts with; every console request is re-authenticated with it. */
  readonly secret: string;
  /** The anti-CSRF token the page must echo in `X-CSRF-Token` on every change. */
  readonly csrf: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** Console sessions and one-time sign-in codes, held in this process (so they end when it ends). */
export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly codes = new Map<string, { secret: string; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    /** Session lifetime in seconds (sliding expiry is deliberately not offered: a session ends on time). */
    readonly ttlSeconds: number,
    /** Lifetime of a one-time sign-in code, in seconds. */
    readonly codeTtlSeconds = 300,
  ) {}

  private random(): string {
    return this.ids.bytes(32).toString("base64url");
  }

  /** A new session for an already-authenticated API key. */
  create(secret: string): ConsoleSession {
    this.sweep();
    const session = {
      id: this.random(),
      secret,
      csrf: this.random(),
      expiresAt: this.clock() + this.ttlSeconds * 1000,
    };
    this.sessions.set(digest(session.id), session);
    return session;
  }

  /** The live session of a cookie value, or undefined (unknown, signed out or expired). */
  get(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (this.clock() >= s.expiresAt) {
      this.sessions.delete(key);
      return undefined;
    }
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(digest(id));
  }

  /**
   * A one-time code standing for `secret` for `codeTtlSeconds` (what `keyless dev` prints in its sign-in
   * link instead of the key itself). Redeeming it once consumes it.
   */
  issueCode(secret: string): string {
    this.sweep();
    const code = this.random();
    this.codes.set(digest(code), { secret, expiresAt: this.clock() + this.codeTtlSeconds * 1000 });
    return code;
  }

  /** The secret a code stands for, once; undefined for an unknown, used or expired code. */
  redeem(code: string): string | undefined {
    const key = digest(code);
    const found = this.codes.get(key);
    this.codes.delete(key);
    if (!found || this.clock() >= found.expiresAt) return undefined;
    return found.secret;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [k, s] of this.sessions) if (now >= s.expiresAt) this.sessions.delete(k);
    for (const [k, c] of this.codes) if (now >= c.expiresAt) this.codes.delete(k);
  }
}

/** Maps are keyed by a hash, so a timing difference in a lookup says nothing about a live value. */
const digest = (value: string): string => createHash("sha256").update(value).digest("base64url");

/** Constant-time comparison of two tokens (the CSRF check). */
export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
