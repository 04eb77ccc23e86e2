import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Actor } from "../authz.js";
import { problem } from "../errors.js";
import type { ApiKey } from "../model.js";
import type { ApiKeyService } from "./api-keys.js";
import { IssuerResource, type ServiceContext } from "./context.js";

/** A session as its browser knows it: the cookie's id and the CSRF token (neither is stored). */
export interface OpenConsoleSession {
  /** 32 random bytes, base64url: the cookie's value. */
  readonly id: string;
  /** The anti-CSRF token the page echoes in `X-CSRF-Token` on every change. */
  readonly csrf: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** A live session found by its cookie, with the actor of its API key as of now. */
export interface ConsoleSessionActor extends OpenConsoleSession {
  readonly actor: Actor & { kind: "key" };
}

/**
 * Web console sessions and one-time sign-in codes, in the issuer's store so that every process serving the
 * store (`--workers N`, a restart, several hosts on PostgreSQL) knows them. Stored: SHA-256 of the session
 * id, of its CSRF token and of a code, the API key's id and the expiry, never the key itself. A session
 * acts as its key's actor, read on every request, so a revoked key ends its sessions at once.
 *
 * The CSRF token is derived from the session id (HMAC-SHA256 keyed by the id), so the server can hand it
 * back to a reloaded page without storing it in the clear; an attacker without the cookie cannot compute
 * it (the OWASP "HMAC based token" pattern,
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
 */
export class ConsoleSessionService extends IssuerResource {
  constructor(
    ctx: ServiceContext,
    private readonly apiKeys: ApiKeyService,
  ) {
    super(ctx);
  }

  /** A new session of `key` lasting `ttlSeconds`. */
  async create(key: ApiKey, ttlSeconds: number): Promise<OpenConsoleSession> {
    const id = this.ids.bytes(32).toString("base64url");
    const csrf = csrfOf(id);
    const now = this.clock();
    const expiresAt = now + ttlSeconds * 1000;
    await this.repo.createConsoleSession({
      idHash: digest(id),
      csrfHash: digest(csrf),
      apiKeyId: key.id,
      createdAt: now,
      expiresAt,
    });
    return { id, csrf, expiresAt };
  }

  /** The live session of a cookie value with its key's actor; 401 `unauthorized` when unknown, ended, expired or its key revoked. */
  async authenticate(id: string | undefined): Promise<ConsoleSessionActor> {
    const stored = id ? await this.repo.getConsoleSession(digest(id)) : undefined;
    if (!id || !stored || this.clock() >= stored.expiresAt)
      throw problem("unauthorized", "sign in to the console first");
    const actor = await this.apiKeys.actorOfKey(stored.apiKeyId);
    return { id, csrf: csrfOf(id), expiresAt: stored.expiresAt, actor };
  }

  /** Whether `token` is the CSRF token of the session `id`, compared by hash in constant time. */
  async checkCsrf(id: string, token: string | undefined): Promise<boolean> {
    const stored = await this.repo.getConsoleSession(digest(id));
    if (!stored || token === undefined) return false;
    return sameToken(digest(token), stored.csrfHash);
  }

  /** Ends the session (sign-out); a copied cookie stops working too. */
  async end(id: string): Promise<void> {
    await this.repo.deleteConsoleSession(digest(id));
  }

  /** A one-time code standing for `key` for `ttlSeconds` (`keyless dev`'s sign-in link). */
  async issueCode(key: ApiKey, ttlSeconds: number): Promise<string> {
    const code = this.ids.bytes(32).toString("base64url");
    await this.repo.createConsoleCode(digest(code), key.id, this.clock() + ttlSeconds * 1000);
    return code;
  }

  /** The actor a code stands for, once; 401 `unauthorized` for an unknown, used or expired code. */
  async redeemCode(code: string): Promise<Actor & { kind: "key" }> {
    const found = await this.repo.takeConsoleCode(digest(code));
    if (!found || this.clock() >= found.expiresAt)
      throw problem("unauthorized", "the sign-in code is unknown, used or expired");
    return this.apiKeys.actorOfKey(found.apiKeyId);
  }
}

const digest = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");
const csrfOf = (id: string): string =>
  createHmac("sha256", id).update("keyless console csrf").digest("base64url");

/** Constant-time comparison of two equal-length strings. */
function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
