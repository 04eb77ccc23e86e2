import type { FastifyPluginAsync } from "fastify";
import type { IssuerService } from "../../issuer/service.js";
import type { AuditService } from "../../issuer/services/audit.js";
import { ListQuery } from "../admin-schemas.js";
import { type AdminRoute, addAdminRoutes, parse } from "./http.js";

/** The audit log: an organization's entries, and all of them. */
export function auditRoutes(svc: AuditService): AdminRoute[] {
  const O = "/api/v1/organizations/:org";
  const query = (q: unknown) => parse(ListQuery, q);
  return [
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
      url: "/api/v1/audit",
      scope: "admin",
      handler: async ({ actor, query: q }) => {
        const { limit, before, action } = query(q);
        return { entries: await svc.listAudit(actor, null, { limit, before, action }) };
      },
    },
  ];
}

/** The audit routes as an encapsulated Fastify plugin. */
export const auditApi: FastifyPluginAsync<{ service: IssuerService }> = async (app, { service }) => {
  addAdminRoutes(app, auditRoutes(service.audit));
};
