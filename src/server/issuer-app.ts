import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Logger } from "pino";
import { ZodError, type z } from "zod";
import { type Actor, requireAdmin, requireMember, requireOrgAdmin } from "../issuer/authz.js";
import { IssuerProblem, problem } from "../issuer/errors.js";
import type { ApiKey, Environment, Organization, Project, Run } from "../issuer/model.js";
import type { IssuerService } from "../issuer/service.js";
import {
  AdminApiKeyBody,
  EnvironmentBody,
  EnvironmentUpdateBody,
  ListQuery,
  OrgApiKeyBody,
  OrganizationCreateBody,
  OrganizationUpdateBody,
  PreviewBody,
  ProjectCreateBody,
  ProjectUpdateBody,
  RotateBody,
  RunCompleteBody,
  RunCreateBody,
  TokenQuery,
} from "./admin-schemas.js";

export interface IssuerAppOptions {
  readonly service: IssuerService;
  /** pino logger (secrets redacted: see server/logger.ts); omit for silence. */
  readonly logger?: Logger;
  /** `Cache-Control: max-age` of discovery and JWKS. Keep it well under the key overlap. */
  readonly wellKnownMaxAgeSeconds?: number;
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** `application/problem+json` (RFC 9457). */
function sendProblem(
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

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
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

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const orgJson = (o: Organization) => ({ id: o.id, name: o.name, ...o.settings, createdAt: iso(o.createdAt) });
const projectJson = (p: Project) => ({ ...p, createdAt: iso(p.createdAt) });
const envJson = (e: Environment) => ({ ...e, createdAt: iso(e.createdAt) });
const runJson = (r: Run) => ({
  ...r,
  createdAt: iso(r.createdAt),
  expiresAt: iso(r.expiresAt),
  completedAt: iso(r.completedAt),
});
const keyJson = (k: ApiKey) => ({ ...k, createdAt: iso(k.createdAt), revokedAt: iso(k.revokedAt) });

type Params = Record<string, string>;
type Handler = (ctx: { actor: Actor; params: Params; body: unknown; query: unknown }) => Promise<unknown>;
export interface AdminRoute {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  readonly url: string;
  /**
   * Checked before the body is even parsed, so a caller without the right key learns nothing: `admin`,
   * `org_admin` (of the organization in the path), `member` (any key of that organization; runners are
   * further limited to their project by the service).
   */
  readonly scope: "admin" | "org_admin" | "member";
  /** 201 for creations, 204 for deletions. */
  readonly status?: number;
  readonly handler: Handler;
}

/** Every admin endpoint; each requires an API key, and the service checks its scope. */
export function adminRoutes(svc: IssuerService): AdminRoute[] {
  const O = "/api/v1/organizations/:org";
  const P = `${O}/projects/:project`;
  const query = (q: unknown) => parse(ListQuery, q);
  return [
    {
      method: "GET",
      url: "/api/v1/organizations",
      scope: "member",
      handler: async ({ actor }) => ({ organizations: (await svc.listOrganizations(actor)).map(orgJson) }),
    },
    {
      method: "POST",
      url: "/api/v1/organizations",
      scope: "admin",
      status: 201,
      handler: async ({ actor, body }) =>
        orgJson(await svc.createOrganization(actor, parse(OrganizationCreateBody, body))),
    },
    {
      method: "GET",
      url: O,
      scope: "member",
      handler: async ({ actor, params }) => orgJson(await svc.getOrganization(actor, params.org!)),
    },
    {
      method: "PATCH",
      url: O,
      scope: "org_admin",
      handler: async ({ actor, params, body }) =>
        orgJson(await svc.updateOrganization(actor, params.org!, parse(OrganizationUpdateBody, body))),
    },
    {
      method: "DELETE",
      url: O,
      scope: "admin",
      status: 204,
      handler: async ({ actor, params }) => svc.deleteOrganization(actor, params.org!),
    },
    {
      method: "GET",
      url: `${O}/projects`,
      scope: "member",
      handler: async ({ actor, params }) => ({
        projects: (await svc.listProjects(actor, params.org!)).map(projectJson),
      }),
    },
    {
      method: "POST",
      url: `${O}/projects`,
      scope: "org_admin",
      status: 201,
      handler: async ({ actor, params, body }) =>
        projectJson(await svc.createProject(actor, params.org!, parse(ProjectCreateBody, body))),
    },
    {
      method: "GET",
      url: P,
      scope: "member",
      handler: async ({ actor, params }) =>
        projectJson(await svc.getProject(actor, params.org!, params.project!)),
    },
    {
      method: "PATCH",
      url: P,
      scope: "org_admin",
      handler: async ({ actor, params, body }) =>
        projectJson(
          await svc.updateProject(actor, params.org!, params.project!, parse(ProjectUpdateBody, body)),
        ),
    },
    {
      method: "DELETE",
      url: P,
      scope: "org_admin",
      status: 204,
      handler: async ({ actor, params }) => svc.deleteProject(actor, params.org!, params.project!),
    },
    {
      method: "GET",
      url: `${P}/environments`,
      scope: "member",
      handler: async ({ actor, params }) => ({
        environments: (await svc.listEnvironments(actor, params.org!, params.project!)).map(envJson),
      }),
    },
    {
      method: "POST",
      url: `${P}/environments`,
      scope: "org_admin",
      status: 201,
      handler: async ({ actor, params, body }) =>
        envJson(
          await svc.createEnvironment(actor, params.org!, params.project!, parse(EnvironmentBody, body)),
        ),
    },
    {
      method: "GET",
      url: `${P}/environments/:env`,
      scope: "member",
      handler: async ({ actor, params }) =>
        envJson(await svc.getEnvironment(actor, params.org!, params.project!, params.env!)),
    },
    {
      method: "PATCH",
      url: `${P}/environments/:env`,
      scope: "org_admin",
      handler: async ({ actor, params, body }) =>
        envJson(
          await svc.updateEnvironment(
            actor,
            params.org!,
            params.project!,
            params.env!,
            parse(EnvironmentUpdateBody, body),
          ),
        ),
    },
    {
      method: "DELETE",
      url: `${P}/environments/:env`,
      scope: "org_admin",
      status: 204,
      handler: async ({ actor, params }) =>
        svc.deleteEnvironment(actor, params.org!, params.project!, params.env!),
    },
    {
      method: "GET",
      url: `${O}/runs`,
      scope: "member",
      handler: async ({ actor, params, query: q }) => {
        const { projectId, limit } = query(q);
        return {
          runs: (
            await svc.listRuns(actor, params.org!, {
              ...(projectId ? { projectId } : {}),
              ...(limit ? { limit } : {}),
            })
          ).map(runJson),
        };
      },
    },
    {
      method: "POST",
      url: `${O}/runs`,
      scope: "member",
      status: 201,
      handler: async ({ actor, params, body }) => {
        const created = await svc.createRun(actor, params.org!, parse(RunCreateBody, body));
        return {
          run: runJson(created.run),
          requestUrl: created.requestUrl,
          requestToken: created.requestToken,
        };
      },
    },
    {
      method: "GET",
      url: `${O}/runs/:run`,
      scope: "member",
      handler: async ({ actor, params }) => runJson(await svc.getRun(actor, params.org!, params.run!)),
    },
    {
      method: "POST",
      url: `${O}/runs/:run/complete`,
      scope: "member",
      handler: async ({ actor, params, body }) =>
        runJson(
          await svc.completeRun(
            actor,
            params.org!,
            params.run!,
            parse(RunCompleteBody, body ?? undefined).status,
          ),
        ),
    },
    {
      method: "POST",
      url: `${O}/claims/preview`,
      scope: "member",
      handler: async ({ actor, params, body }) =>
        svc.previewClaims(actor, params.org!, parse(PreviewBody, body)),
    },
    {
      method: "GET",
      url: `${O}/api-keys`,
      scope: "org_admin",
      handler: async ({ actor, params }) => ({
        apiKeys: (await svc.listApiKeys(actor, params.org!)).map(keyJson),
      }),
    },
    {
      method: "POST",
      url: `${O}/api-keys`,
      scope: "org_admin",
      status: 201,
      handler: async ({ actor, params, body }) => {
        const b = parse(OrgApiKeyBody, body);
        const org = params.org!;
        const scope =
          b.scope.kind === "runner"
            ? { kind: "runner" as const, organizationId: org, projectId: b.scope.projectId }
            : { kind: "org_admin" as const, organizationId: org };
        const created = await svc.createApiKey(actor, { name: b.name, scope });
        return { apiKey: keyJson(created.key), secret: created.secret };
      },
    },
    {
      method: "DELETE",
      url: `${O}/api-keys/:key`,
      scope: "org_admin",
      status: 204,
      handler: async ({ actor, params }) => svc.revokeApiKey(actor, params.org!, params.key!),
    },
    {
      method: "GET",
      url: `${O}/audit`,
      scope: "org_admin",
      handler: async ({ actor, params, query: q }) => {
        const { limit, before, action } = query(q);
        return { entries: await svc.listAudit(actor, params.org!, { limit, before, action }) };
      },
    },
    {
      method: "GET",
      url: "/api/v1/api-keys",
      scope: "admin",
      handler: async ({ actor }) => ({ apiKeys: (await svc.listApiKeys(actor, null)).map(keyJson) }),
    },
    {
      method: "POST",
      url: "/api/v1/api-keys",
      scope: "admin",
      status: 201,
      handler: async ({ actor, body }) => {
        const created = await svc.createApiKey(actor, {
          name: parse(AdminApiKeyBody, body).name,
          scope: { kind: "admin" },
        });
        return { apiKey: keyJson(created.key), secret: created.secret };
      },
    },
    {
      method: "DELETE",
      url: "/api/v1/api-keys/:key",
      scope: "admin",
      status: 204,
      handler: async ({ actor, params }) => svc.revokeApiKey(actor, null, params.key!),
    },
    {
      method: "GET",
      url: "/api/v1/signing-keys",
      scope: "admin",
      handler: async ({ actor }) => ({
        signingKeys: (await svc.keyStatuses(actor)).map((s) => ({
          kid: s.key.kid,
          alg: s.key.alg,
          state: s.state,
          createdAt: iso(s.key.createdAt),
          activateAt: iso(s.key.activateAt),
          retiredAt: iso(s.key.retiredAt),
          unpublishAt: iso(s.unpublishAt),
        })),
      }),
    },
    {
      method: "POST",
      url: "/api/v1/signing-keys/rotate",
      scope: "admin",
      status: 201,
      handler: async ({ actor, body }) => {
        const b = parse(RotateBody, body ?? undefined);
        const k = await svc.rotate(actor, {
          immediate: b.immediate,
          ...(b.algorithm ? { algorithm: b.algorithm } : {}),
        });
        return { kid: k.kid, alg: k.alg, activateAt: iso(k.activateAt) };
      },
    },
    {
      method: "POST",
      url: "/api/v1/signing-keys/:kid/retire",
      scope: "admin",
      handler: async ({ actor, params }) => {
        await svc.retire(actor, params.kid!);
        return { kid: params.kid, retired: true };
      },
    },
    {
      method: "GET",
      url: "/api/v1/audit",
      scope: "admin",
      handler: async ({ actor, query: q }) => {
        const { limit, before, action } = query(q);
        return { entries: await svc.listAudit(actor, null, { limit, before, action }) };
      },
    },
  ];
}

const WELL_KNOWN =
  /^(.*?)\/(\.well-known\/openid-configuration|\.well-known\/jwks(?:\.json)?|oauth\/discovery\/keys)$/;

/**
 * The issuer's HTTP surface as a Fastify app, not yet listening: discovery and JWKS (per issuer URL, by
 * Host and path), the token endpoint, and the admin API. `keyless serve` listens on it; `keyless dev` can
 * mount it; another component (the AWS emulator) can be registered beside it.
 */
export async function buildIssuerApp(options: IssuerAppOptions): Promise<FastifyInstance> {
  const svc = options.service;
  const maxAge = options.wellKnownMaxAgeSeconds ?? 300;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key } } : {}),
    bodyLimit: 64 * 1024,
    // Admin JSON bodies; the token endpoint is a GET.
    return503OnClosing: true,
  });

  app.setErrorHandler((error, req, reply) => {
    if (error instanceof IssuerProblem) return sendProblem(reply, error, req.url.split("?")[0]);
    if (error instanceof ZodError) return sendProblem(reply, problem("bad-request", error.message));
    const e = error as { statusCode?: number; message?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own refusals: malformed JSON, wrong content type, body too large.
      return sendProblem(reply, problem("bad-request", e.message ?? "bad request"), undefined, e.statusCode);
    }
    // The detail stays generic: internals (SQL, paths) are for the log, not the caller.
    req.log.error({ err: error }, "unexpected error");
    return sendProblem(reply, problem("internal", "internal error; see the server log"));
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem("not-found", `no route ${req.method} ${req.url.split("?")[0]}`)),
  );

  // ---- discovery and JWKS
  const wellKnown = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split("?")[0]!;
    const m = WELL_KNOWN.exec(path);
    if (!m) throw problem("not-found", `no route GET ${path}`);
    const prefix = m[1] ?? "";
    reply.header("cache-control", `public, max-age=${maxAge}`);
    if (m[2] !== ".well-known/openid-configuration") return svc.jwks();
    const host = req.headers.host ?? "";
    const hostname = host.replace(/:\d+$/, "");
    const issuers = await svc.issuers();
    const match = issuers.find(({ issuer }) => {
      const u = new URL(issuer);
      const sameHost = u.host === host || (u.port === "" && u.hostname === hostname);
      return sameHost && u.pathname.replace(/\/$/, "") === prefix;
    });
    const chosen = match ?? (prefix === "" ? issuers[0] : undefined);
    if (!chosen) throw problem("not-found", `no issuer at ${path}`);
    return svc.discovery(chosen.issuer, chosen.jwksPath);
  };
  app.get("/.well-known/openid-configuration", wellKnown);
  app.get("/.well-known/jwks", wellKnown);
  app.get("/.well-known/jwks.json", wellKnown);
  app.get("/oauth/discovery/keys", wellKnown);
  app.get("/*", wellKnown); // issuers with a path: https://id.example.com/org/acme/.well-known/…

  // ---- the token endpoint (GitHub Actions' protocol)
  app.get<{ Params: { run: string } }>("/runs/:run/token", async (req, reply) => {
    const q = parse(TokenQuery, req.query);
    const minted = await svc.mint(bearer(req), req.params.run, {
      audience: q.audience,
      lifetimeSeconds: q.lifetime,
    });
    reply.header("cache-control", "no-store");
    return { value: minted.value };
  });

  // ---- admin API
  for (const route of adminRoutes(svc)) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (req, reply) => {
        const actor = await svc.authenticate(bearer(req));
        const org = (req.params as Params).org;
        if (route.scope === "admin") requireAdmin(actor);
        else if (route.scope === "org_admin" && org) requireOrgAdmin(actor, org);
        else if (org) requireMember(actor, org);
        const result = await route.handler({
          actor,
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
  return app;
}
