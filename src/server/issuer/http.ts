import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { type Actor, requireAdmin, requireMember, requireOrgAdmin } from "../../issuer/authz.js";
import { type IssuerProblem, problem } from "../../issuer/errors.js";
import type { ApiKeyService } from "../../issuer/services/api-keys.js";
import type { TenancyService } from "../../issuer/services/tenancy.js";

/**
 * What a route of the admin API needs of the caller's API key, checked by `authorizeAdminRequest` in the
 * `onRequest` hook, before the body is read: `admin`, `org_admin` (of the organization in the path),
 * `member` (any key of that organization; runners are further limited to their project by the service).
 */
export type AdminScope = "admin" | "org_admin" | "member";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Declared by every admin route (`/api/…`); a route there without one is refused at start-up. */
    scope?: AdminScope;
  }
  interface FastifyRequest {
    /** The authenticated caller of an admin route, set by the `onRequest` hook. */
    actor: Actor | null;
  }
}

export type Params = Record<string, string>;

/** An admin endpoint: what the route declares, and its handler on already-authorized input. */
export interface AdminRoute {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  readonly url: string;
  readonly scope: AdminScope;
  /** 201 for creations, 204 for deletions. */
  readonly status?: number;
  readonly handler: (ctx: {
    actor: Actor;
    params: Params;
    body: unknown;
    query: unknown;
  }) => Promise<unknown>;
}

/** `application/problem+json` (RFC 9457, https://www.rfc-editor.org/rfc/rfc9457). */
export function sendProblem(
  reply: FastifyReply,
  p: IssuerProblem,
  instance?: string,
  status = p.status,
): FastifyReply {
  return reply
    .code(status)
    .header("content-type", "application/problem+json")
    .header("cache-control", "no-store")
    .send({
      type: `https://keyless.dev/problems/${p.type}`,
      title: p.title,
      status,
      detail: p.detail,
      ...(instance ? { instance } : {}),
      ...p.extra,
    });
}

/** The value as `schema` reads it; a 400 `bad-request` problem listing every issue otherwise. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw problem(
    "bad-request",
    r.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
    {
      errors: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    },
  );
}

/** The secret of `Authorization: Bearer <secret>` (RFC 6750 section 2.1, https://www.rfc-editor.org/rfc/rfc6750#section-2.1), or undefined. */
export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

/** Epoch milliseconds as an ISO 8601 string (null stays null). */
export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Actors handed to the admin API from inside this process (the web console forwards a signed-in user's
 * request with Fastify's `inject`, acting as the session's key without holding the key's secret): a
 * random one-use nonce in the `x-keyless-delegation` header stands for the actor. It never leaves the
 * process, lives for one request, and is taken out on first use.
 */
const delegations = new Map<string, Actor>();
export const DELEGATION_HEADER = "x-keyless-delegation";

/** A one-use nonce standing for `actor` in one admin request made in this process; see `DELEGATION_HEADER`. */
export function delegate(actor: Actor): { nonce: string; release: () => void } {
  const nonce = randomBytes(32).toString("base64url");
  delegations.set(nonce, actor);
  return { nonce, release: () => delegations.delete(nonce) };
}

function delegatedActor(req: FastifyRequest): Actor | undefined {
  const nonce = req.headers[DELEGATION_HEADER];
  if (typeof nonce !== "string") return undefined;
  const actor = delegations.get(nonce);
  delegations.delete(nonce);
  if (!actor) throw problem("unauthorized", "the delegation is unknown or used");
  return actor;
}

/**
 * The `onRequest` hook of the admin API: authenticates the bearer key (401) and checks the route's
 * declared scope (403). It runs before Fastify reads or parses the body, so a caller without the right key
 * learns nothing from the body's fate (no 400 for malformed JSON, no 413 for a large body). Checks that
 * depend on the resource (a runner asking for another project's run) stay in the services.
 */
export function authorizeAdminRequest(apiKeys: ApiKeyService, tenancy: TenancyService) {
  return async (req: FastifyRequest): Promise<void> => {
    const scope = req.routeOptions.config.scope;
    if (scope === undefined) return;
    const actor = delegatedActor(req) ?? (await apiKeys.authenticate(bearer(req)));
    const params = req.params as Params;
    // An organization, project or environment may be named by id or by name: from here on the path's
    // parameters hold ids, so an unknown name is a 404 problem (never an empty list) and every check
    // and service below compares ids only.
    if (params.org !== undefined) params.org = await tenancy.resolveOrganization(actor, params.org);
    const org = params.org;
    if (scope === "admin") requireAdmin(actor);
    else if (scope === "org_admin" && org) requireOrgAdmin(actor, org);
    else if (org) requireMember(actor, org);
    if (org && params.project !== undefined) {
      params.project = await tenancy.resolveProject(actor, org, params.project);
      if (params.env !== undefined) {
        params.env = await tenancy.resolveEnvironment(actor, org, params.project, params.env);
      }
    }
    req.actor = actor;
  };
}

/** Registers admin routes on `app`, each declaring its scope for the hook; answers `no-store`. */
export function addAdminRoutes(app: FastifyInstance, routes: readonly AdminRoute[]): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      config: { scope: route.scope },
      handler: async (req, reply) => {
        // Set by the onRequest hook for every route with a scope; refuse rather than trust a missing one.
        if (!req.actor) throw problem("unauthorized", "an API key is required: Authorization: Bearer <key>");
        const result = await route.handler({
          actor: req.actor,
          params: req.params as Params,
          body: req.body,
          query: req.query,
        });
        reply.header("cache-control", "no-store");
        if (route.status === 204) return reply.code(204).send();
        return reply.code(route.status ?? 200).send(result);
      },
    });
  }
}
