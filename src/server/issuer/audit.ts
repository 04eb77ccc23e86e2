import type { FastifyPluginAsync } from "fastify";
import type { IssuerService } from "../../issuer/service.js";
import type { AuditService } from "../../issuer/services/audit.js";
import { ListQuery } from "../admin-schemas.js";
import { type AdminRoute, addAdminRoutes, parse } from "./http.js";

/** The audit log: an organization's entries, and all of them. */
export function auditRoutes(svc: AuditService): AdminRoute[] {
  const O = "/api/v1/organizations/:org";
  const query = (q: unknown) => {
    const { limit, before, after, action, kind, actor } = parse(ListQuery, q);
    return { limit, before, after, action, kind, actor };
  };
  return [
    {
      method: "GET",
      url: `${O}/audit`,
      scope: "org_admin",
      handler: async ({ actor, params, query: q }) => {
        return { entries: await svc.listAudit(actor, params.org!, query(q)) };
      },
    },
    {
      method: "GET",
      url: "/api/v1/audit",
      scope: "admin",
      handler: async ({ actor, query: q }) => {
        return { entries: await svc.listAudit(actor, null, query(q)) };
      },
    },
  ];
}

/** The audit routes as an encapsulated Fastify plugin. */
export const auditApi: FastifyPluginAsync<{ service: IssuerService }> = async (app, { service }) => {
  addAdminRoutes(app, auditRoutes(service.audit));
};
