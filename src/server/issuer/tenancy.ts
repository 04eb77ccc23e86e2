import type { FastifyPluginAsync } from "fastify";
import { allowedAudiences } from "../../issuer/claims/build.js";
import type { Environment, Organization, Project } from "../../issuer/model.js";
import type { IssuerService } from "../../issuer/service.js";
import type { TenancyService } from "../../issuer/services/tenancy.js";
import {
  EnvironmentBody,
  EnvironmentUpdateBody,
  OrganizationCreateBody,
  OrganizationUpdateBody,
  ProjectCreateBody,
  ProjectUpdateBody,
} from "../admin-schemas.js";
import { type AdminRoute, addAdminRoutes, iso, parse } from "./http.js";

/** `effectiveAudiences`: what runs may ask for now (`allowedAudiences`, else the profile's defaults). */
const orgJson = (o: Organization) => ({
  id: o.id,
  name: o.name,
  ...o.settings,
  effectiveAudiences: allowedAudiences({ organization: o }),
  createdAt: iso(o.createdAt),
});
const projectJson = (p: Project) => ({ ...p, createdAt: iso(p.createdAt) });
const envJson = (e: Environment) => ({ ...e, createdAt: iso(e.createdAt) });

/** Organizations, their projects and the projects' environments. */
export function tenancyRoutes(svc: TenancyService): AdminRoute[] {
  const O = "/api/v1/organizations/:org";
  const P = `${O}/projects/:project`;
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
  ];
}

/** The tenancy routes as an encapsulated Fastify plugin. */
export const tenancyApi: FastifyPluginAsync<{ service: IssuerService }> = async (app, { service }) => {
  addAdminRoutes(app, tenancyRoutes(service.tenancy));
};
