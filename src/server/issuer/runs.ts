import type { FastifyPluginAsync } from "fastify";
import { IssuerProblem } from "../../issuer/errors.js";
import type { Run } from "../../issuer/model.js";
import type { IssuerService } from "../../issuer/service.js";
import type { RunService } from "../../issuer/services/runs.js";
import type { TenancyService } from "../../issuer/services/tenancy.js";
import { ListQuery, PreviewBody, RunCompleteBody, RunCreateBody, TokenQuery } from "../admin-schemas.js";
import type { Metrics } from "../metrics.js";
import { type AdminRoute, addAdminRoutes, bearer, iso, parse } from "./http.js";

const runJson = (r: Run) => ({
  ...r,
  createdAt: iso(r.createdAt),
  expiresAt: iso(r.expiresAt),
  completedAt: iso(r.completedAt),
});

/** Runs of an organization and claim previews (the token endpoint is in `runsApi` below). */
export function runsRoutes(svc: RunService, tenancy?: TenancyService): AdminRoute[] {
  const O = "/api/v1/organizations/:org";
  const query = (q: unknown) => parse(ListQuery, q);
  return [
    {
      method: "GET",
      url: `${O}/runs`,
      scope: "member",
      handler: async ({ actor, params, query: q }) => {
        const { limit, status, ...refs } = query(q);
        const org = params.org!;
        // Project and environment may be named by id or by name, as in paths.
        let { projectId, environmentId } = refs;
        if (tenancy && projectId) projectId = await tenancy.resolveProject(actor, org, projectId);
        if (tenancy && projectId && environmentId) {
          environmentId = await tenancy.resolveEnvironment(actor, org, projectId, environmentId);
        }
        return {
          runs: (
            await svc.listRuns(actor, org, {
              ...(projectId ? { projectId } : {}),
              ...(environmentId ? { environmentId } : {}),
              ...(status ? { status } : {}),
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
      method: "GET",
      url: `${O}/runs/:run/tokens`,
      scope: "member",
      handler: async ({ actor, params, query: q }) => ({
        tokens: (await svc.listRunTokens(actor, params.org!, params.run!, query(q).limit)).map((t) => ({
          ...t,
          at: iso(t.at),
        })),
      }),
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
  ];
}

/** The runs routes as an encapsulated Fastify plugin. */
export const runsApi: FastifyPluginAsync<{ service: IssuerService; metrics?: Metrics | undefined }> = async (
  app,
  { service, metrics },
) => {
  addAdminRoutes(app, runsRoutes(service.runs, service.tenancy));
  // The token endpoint (GitHub Actions' protocol): authenticated by the run's request token, not an API
  // key, so it declares no admin scope.
  app.get<{ Params: { run: string } }>("/runs/:run/token", async (req, reply) => {
    let minted: Awaited<ReturnType<RunService["mint"]>>;
    try {
      const q = parse(TokenQuery, req.query);
      minted = await service.runs.mint(bearer(req), req.params.run, {
        audience: q.audience,
        lifetimeSeconds: q.lifetime,
      });
    } catch (e) {
      metrics?.mint(e instanceof IssuerProblem ? e.type : "internal");
      throw e;
    }
    metrics?.mint("issued", minted.organization, minted.alg);
    reply.header("cache-control", "no-store");
    return { value: minted.value };
  });
};
