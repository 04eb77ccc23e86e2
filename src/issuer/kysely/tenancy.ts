import type { Environment, Organization, Project } from "../model.js";
import type { TenancyRepository } from "../repository.js";
import { type IssuerDb, toEnvironment, toOrganization, toProject, unique } from "./rows.js";

/** Organizations, projects and environments on Kysely. */
export function tenancyRows(db: IssuerDb): TenancyRepository {
  return {
    async createOrganization(org: Organization): Promise<void> {
      await unique(`an organization named "${org.name}" already exists`, () =>
        db
          .insertInto("issuer_organizations")
          .values({
            id: org.id,
            name: org.name,
            settings: JSON.stringify(org.settings),
            created_at: org.createdAt,
          })
          .execute(),
      );
    },
    async getOrganization(id: string): Promise<Organization | undefined> {
      const row = await db
        .selectFrom("issuer_organizations")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      return row && toOrganization(row);
    },
    async listOrganizations(): Promise<Organization[]> {
      const rows = await db.selectFrom("issuer_organizations").selectAll().orderBy("name").execute();
      return rows.map(toOrganization);
    },
    async updateOrganization(org: Organization): Promise<void> {
      await unique(`an organization named "${org.name}" already exists`, () =>
        db
          .updateTable("issuer_organizations")
          .set({ name: org.name, settings: JSON.stringify(org.settings) })
          .where("id", "=", org.id)
          .execute(),
      );
    },
    async deleteOrganization(id: string): Promise<boolean> {
      // Explicit child deletes: SQLite enforces ON DELETE CASCADE only with foreign_keys on, and being
      // explicit keeps both dialects identical whatever the connection settings.
      await db.deleteFrom("issuer_api_keys").where("organization_id", "=", id).execute();
      await db.deleteFrom("issuer_runs").where("organization_id", "=", id).execute();
      await db.deleteFrom("issuer_environments").where("organization_id", "=", id).execute();
      await db.deleteFrom("issuer_projects").where("organization_id", "=", id).execute();
      const r = await db.deleteFrom("issuer_organizations").where("id", "=", id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    // ---- projects
    async createProject(p: Project): Promise<void> {
      await unique(`a project named "${p.name}" already exists in this organization`, () =>
        db
          .insertInto("issuer_projects")
          .values({
            id: p.id,
            organization_id: p.organizationId,
            name: p.name,
            sub_template: p.subTemplate,
            created_at: p.createdAt,
          })
          .execute(),
      );
    },
    async getProject(id: string): Promise<Project | undefined> {
      const r = await db.selectFrom("issuer_projects").selectAll().where("id", "=", id).executeTakeFirst();
      return r && toProject(r);
    },
    async listProjects(organizationId: string): Promise<Project[]> {
      const rows = await db
        .selectFrom("issuer_projects")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .orderBy("name")
        .execute();
      return rows.map(toProject);
    },
    async updateProject(p: Project): Promise<void> {
      await unique(`a project named "${p.name}" already exists in this organization`, () =>
        db
          .updateTable("issuer_projects")
          .set({ name: p.name, sub_template: p.subTemplate })
          .where("id", "=", p.id)
          .execute(),
      );
    },
    async deleteProject(id: string): Promise<boolean> {
      await db.deleteFrom("issuer_api_keys").where("project_id", "=", id).execute();
      await db.deleteFrom("issuer_runs").where("project_id", "=", id).execute();
      await db.deleteFrom("issuer_environments").where("project_id", "=", id).execute();
      const r = await db.deleteFrom("issuer_projects").where("id", "=", id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    // ---- environments
    async createEnvironment(e: Environment): Promise<void> {
      await unique(`an environment named "${e.name}" already exists in this project`, () =>
        db
          .insertInto("issuer_environments")
          .values({
            id: e.id,
            organization_id: e.organizationId,
            project_id: e.projectId,
            name: e.name,
            created_at: e.createdAt,
          })
          .execute(),
      );
    },
    async getEnvironment(id: string): Promise<Environment | undefined> {
      const r = await db
        .selectFrom("issuer_environments")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      return r && toEnvironment(r);
    },
    async listEnvironments(projectId: string): Promise<Environment[]> {
      const rows = await db
        .selectFrom("issuer_environments")
        .selectAll()
        .where("project_id", "=", projectId)
        .orderBy("name")
        .execute();
      return rows.map(toEnvironment);
    },
    async updateEnvironment(e: Environment): Promise<void> {
      await unique(`an environment named "${e.name}" already exists in this project`, () =>
        db.updateTable("issuer_environments").set({ name: e.name }).where("id", "=", e.id).execute(),
      );
    },
    async deleteEnvironment(id: string): Promise<boolean> {
      await db.deleteFrom("issuer_runs").where("environment_id", "=", id).execute();
      const r = await db.deleteFrom("issuer_environments").where("id", "=", id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
