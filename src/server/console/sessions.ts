import type { IssuerService } from "../../issuer/service.js";
import type { ConsoleSessionActor, OpenConsoleSession } from "../../issuer/services/console-sessions.js";

export type { ConsoleSessionActor, OpenConsoleSession };

/**
 * The console's sessions and one-time sign-in codes with this server's lifetimes, kept in the issuer's
 * store (`IssuerService.consoleSessions`): every process on the store knows them, and they outlive a
 * restart. The server keeps no API key: a session acts as its key's id.
 */
export class ConsoleSessions {
  constructor(
    private readonly service: IssuerService,
    /** Session lifetime in seconds (sliding expiry is deliberately not offered: a session ends on time). */
    readonly ttlSeconds: number,
    /** Lifetime of a one-time sign-in code, in seconds. */
    readonly codeTtlSeconds = 300,
  ) {}

  /** A new session for the key of an already-authenticated secret or redeemed code. */
  create(actor: ConsoleSessionActor["actor"]): Promise<OpenConsoleSession> {
    return this.service.consoleSessions.create(actor.key, this.ttlSeconds);
  }

  /** The live session of a cookie value; 401 problem when unknown, signed out, expired or its key revoked. */
  get(id: string | undefined): Promise<ConsoleSessionActor> {
    return this.service.consoleSessions.authenticate(id);
  }

  checkCsrf(id: string, token: string | undefined): Promise<boolean> {
    return this.service.consoleSessions.checkCsrf(id, token);
  }

  delete(id: string): Promise<void> {
    return this.service.consoleSessions.end(id);
  }

  /**
   * A one-time code standing for the key of `secret` for `codeTtlSeconds` (what `keyless dev` prints in its
   * sign-in link instead of the key itself). Redeeming it once consumes it.
   */
  async issueCode(secret: string): Promise<string> {
    const actor = await this.service.apiKeys.authenticate(secret);
    return this.service.consoleSessions.issueCode(actor.key, this.codeTtlSeconds);
  }

  /** The actor a code stands for, once; 401 problem for an unknown, used or expired code. */
  redeem(code: string): Promise<ConsoleSessionActor["actor"]> {
    return this.service.consoleSessions.redeemCode(code);
  }
}
