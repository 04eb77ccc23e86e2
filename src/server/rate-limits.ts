import { createHash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { problem } from "../issuer/errors.js";
import { bearer, sendProblem } from "./issuer/http.js";

/**
 * Request budgets of `keyless serve`, each counted in a fixed window of `windowSeconds` that starts at a
 * key's first request (@fastify/rate-limit's local store, https://github.com/fastify/fastify-rate-limit).
 * A limit of 0 is no limit. Counters live in the process: with `--workers N` each worker counts its own
 * requests, so a client may reach up to N times a limit (see docs/issuer.md, "Rate limits").
 */
export interface RateLimits {
  /** Window length, seconds (> 0). */
  readonly windowSeconds: number;
  /** Token-endpoint requests per window per run and request token. */
  readonly tokenPerRun: number;
  /** Token-endpoint requests per window per source address (the TCP peer). */
  readonly tokenPerAddress: number;
  /** Admin API requests per window per authenticated API key. */
  readonly adminPerKey: number;
}

/** `keyless dev` and apps built without limits: nothing is counted. */
export const NO_RATE_LIMITS: RateLimits = {
  windowSeconds: 60,
  tokenPerRun: 0,
  tokenPerAddress: 0,
  adminPerKey: 0,
};

/**
 * Defaults of `keyless serve`, per worker: a job fetches a handful of tokens a minute (one per audience,
 * one per credential refresh), so 120 per run only stops a runaway loop; many runners behind one NAT
 * share an address, hence 1200; a controller creating runs for a busy fleet, 1200 per key.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  windowSeconds: 60,
  tokenPerRun: 120,
  tokenPerAddress: 1200,
  adminPerKey: 1200,
};

export const TOKEN_ROUTE = "/runs/:run/token";

/** Distinct keys remembered per limit (least recently used dropped first). */
const CACHE_ENTRIES = 20_000;

type Check = (req: FastifyRequest) => Promise<
  | { isAllowed: true }
  | {
      isAllowed: false;
      isExceeded: boolean;
      max: number;
      ttlInSeconds: number;
    }
>;

/**
 * Registers the limits as an `onRequest` hook on `app`. Add it after the admin authentication hook:
 * the admin budget is counted per authenticated key (an unknown key is refused with 401 before it is
 * counted). The token endpoint is counted before anything is read: per source address first, then per
 * run and request token, so requests with a guessed token do not spend the budget of the run's real
 * token (and a runaway job cannot spend another run's). Over budget: `429` problem
 * (`https://keyless.dev/problems/rate-limited`) with `Retry-After` in seconds (RFC 9110 section 10.2.3, https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3,
 * https://www.rfc-editor.org/rfc/rfc9110#field.retry-after).
 */
export async function addRateLimits(app: FastifyInstance, limits: RateLimits): Promise<void> {
  if (limits.tokenPerRun === 0 && limits.tokenPerAddress === 0 && limits.adminPerKey === 0) return;
  await app.register(rateLimit, { global: false, cache: CACHE_ENTRIES });
  const timeWindow = limits.windowSeconds * 1000;
  const limiter = (max: number, keyGenerator: (req: FastifyRequest) => string): Check | undefined =>
    max > 0 ? (app.createRateLimit({ max, timeWindow, keyGenerator }) as Check) : undefined;

  const perAddress = limiter(limits.tokenPerAddress, (req) => `address:${req.ip}`);
  const perRun = limiter(limits.tokenPerRun, (req) => {
    const run = (req.params as { run?: string }).run ?? "";
    // The run's request token, hashed: the counter's key never holds the secret.
    const token = createHash("sha256")
      .update(bearer(req) ?? "")
      .digest("base64url")
      .slice(0, 22);
    return `run:${run}:${token}`;
  });
  const perKey = limiter(limits.adminPerKey, (req) =>
    req.actor?.kind === "key" ? `key:${req.actor.key.id}` : "operator",
  );

  const over = async (check: Check | undefined, req: FastifyRequest, reply: FastifyReply, what: string) => {
    if (!check) return false;
    const r = await check(req);
    if (r.isAllowed || !r.isExceeded) return false;
    reply.header("retry-after", String(r.ttlInSeconds));
    reply.header("x-ratelimit-limit", String(r.max));
    reply.header("x-ratelimit-remaining", "0");
    reply.header("x-ratelimit-reset", String(r.ttlInSeconds));
    sendProblem(
      reply,
      problem(
        "rate-limited",
        `more than ${r.max} requests ${what} in ${limits.windowSeconds} s; retry in ${r.ttlInSeconds} s`,
        { retryAfterSeconds: r.ttlInSeconds },
      ),
      req.url.split("?")[0],
    );
    return true;
  };

  app.addHook("onRequest", async (req, reply) => {
    if (req.routeOptions.url === TOKEN_ROUTE) {
      if (await over(perAddress, req, reply, "from this address")) return reply;
      if (await over(perRun, req, reply, "for this run")) return reply;
    } else if (req.routeOptions.config.scope !== undefined && req.actor) {
      if (await over(perKey, req, reply, "with this API key")) return reply;
    }
  });
}
