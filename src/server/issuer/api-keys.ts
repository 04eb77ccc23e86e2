import type { FastifyPluginAsync } from "fastify";
import type { ApiKey } from "../../issuer/model.js";
import type { IssuerService } from "../../issuer/service.js";
import type { ApiKeyService } from "../../issuer/services/api-keys.js";
import { AdminApiKeyBody, OrgApiKeyBody } from "../admin-schemas.js";
import { type AdminRoute, addAdminRoutes, iso, parse } from "./http.js";

const keyJson = (k: ApiKey) => ({ ...k, createdAt: iso(k.createdAt), revokedAt: iso(k.revokedAt) });

/** API keys: an organization's (org admin, runner) and the global admin keys. */
export function apiKeysRoutes(svc: ApiKeyService): AdminRoute[] {
  const O = "/api/v1/organizations/:org";
  return [
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
  ];
}

/** The apiKeys routes as an encapsulated Fastify plugin. */
export const apiKeysApi: FastifyPluginAsync<{ service: IssuerService }> = async (app, { service }) => {
  addAdminRoutes(app, apiKeysRoutes(service.apiKeys));
};
