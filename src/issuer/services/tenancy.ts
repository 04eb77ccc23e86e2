import { type Actor, requireAdmin, requireMember, requireOrgAdmin } from "../authz.js";
import { validateSettings } from "../claims/build.js";
import { PROFILE } from "../claims/profiles.js";
import { problem } from "../errors.js";
import type { Environment, Organization, OrganizationSettings, ProfileName, Project } from "../model.js";
import { checkName, IssuerResource, noDuplicates } from "./context.js";

export interface OrganizationInput {
  readonly name: string;
  readonly profile?: ProfileName;
  readonly issuerUrl?: string | null;
  readonly subTemplate?: string | null;
  readonly allowedAudiences?: readonly string[];
  readonly defaultAudience?: string | null;
  readonly defaultLifetimeSeconds?: number;
  readonly maxLifetimeSeconds?: number;
  readonly runTimeoutSeconds?: number;
  readonly sessionTags?: OrganizationSettings["sessionTags"];
  readonly profileOptions?: Readonly<Record<string, string>>;
}

export const MAX_RUN_TIMEOUT_SECONDS = 7 * 24 * 3600;

/**
 * Organizations (with their claim settings), projects and environments: creation, reads scoped to the
 * caller's organization, updates and cascading deletes, each audited.
 */
export class TenancyService extends IssuerResource {
  // ------------------------------------------------------------------ organizations
  private settingsFrom(input: OrganizationInput, base?: OrganizationSettings): OrganizationSettings {
    const profileName = input.profile ?? base?.profile ?? "keyless";
    const profile = PROFILE[profileName];
    const max =
      input.maxLifetimeSeconds ??
      base?.maxLifetimeSeconds ??
      Math.min(this.config.maxTokenLifetimeSeconds, Math.max(3600, profile.defaultLifetimeSeconds));
    const settings: OrganizationSettings = {
      profile: profileName,
      issuerUrl: input.issuerUrl !== undefined ? input.issuerUrl : (base?.issuerUrl ?? null),
      subTemplate: input.subTemplate !== undefined ? input.subTemplate : (base?.subTemplate ?? null),
      allowedAudiences: input.allowedAudiences ?? base?.allowedAudiences ?? [],
      defaultAudience:
        input.defaultAudience !== undefined ? input.defaultAudience : (base?.defaultAudience ?? null),
      defaultLifetimeSeconds:
        input.defaultLifetimeSeconds ??
        base?.defaultLifetimeSeconds ??
        Math.min(max, profile.defaultLifetimeSeconds),
      maxLifetimeSeconds: max,
      runTimeoutSeconds: input.runTimeoutSeconds ?? base?.runTimeoutSeconds ?? 6 * 3600,
      sessionTags: input.sessionTags ?? base?.sessionTags ?? { enabled: false, keys: [], transitive: [] },
      profileOptions: input.profileOptions ?? base?.profileOptions ?? {},
    };
    validateSettings(settings);
    if (settings.maxLifetimeSeconds > this.config.maxTokenLifetimeSeconds) {
      throw problem(
        "bad-request",
        `maxLifetimeSeconds ${settings.maxLifetimeSeconds} exceeds this server's ceiling of ${this.config.maxTokenLifetimeSeconds}`,
      );
    }
    if (settings.runTimeoutSeconds < 60 || settings.runTimeoutSeconds > MAX_RUN_TIMEOUT_SECONDS) {
      throw problem("bad-request", `runTimeoutSeconds must be between 60 and ${MAX_RUN_TIMEOUT_SECONDS}`);
    }
    return settings;
  }

  async createOrganization(actor: Actor, input: OrganizationInput): Promise<Organization> {
    requireAdmin(actor);
    checkName("organization", input.name);
    const org: Organization = {
      id: this.ids.uuid(),
      name: input.name,
      settings: this.settingsFrom(input),
      createdAt: this.clock(),
    };
    await noDuplicates(() =>
      this.repo.transaction(async (tx) => {
        await tx.createOrganization(org);
        await this.audit(
          actor,
          "organization.create",
          org.id,
          org.id,
          { name: org.name, settings: org.settings },
          tx,
        );
      }),
    );
    return org;
  }

  async listOrganizations(actor: Actor): Promise<Organization[]> {
    const all = await this.repo.listOrganizations();
    if (actor.kind === "operator" || actor.key.scope.kind === "admin") return all;
    const own = actor.key.scope.organizationId;
    return all.filter((o) => o.id === own);
  }

  async getOrganization(actor: Actor, id: string): Promise<Organization> {
    requireMember(actor, id);
    const org = await this.repo.getOrganization(id);
    if (!org) throw problem("not-found", `no organization ${id}`);
    return org;
  }

  async updateOrganization(
    actor: Actor,
    id: string,
    input: Partial<OrganizationInput>,
  ): Promise<Organization> {
    requireOrgAdmin(actor, id);
    const org = await this.getOrganization(actor, id);
    if (input.name !== undefined) checkName("organization", input.name);
    const updated: Organization = {
      ...org,
      name: input.name ?? org.name,
      settings: this.settingsFrom({ name: org.name, ...input }, org.settings),
    };
    await noDuplicates(() =>
      this.repo.transaction(async (tx) => {
        await tx.updateOrganization(updated);
        await this.audit(actor, "organization.update", id, id, { changes: input }, tx);
      }),
    );
    return updated;
  }

  async deleteOrganization(actor: Actor, id: string): Promise<void> {
    requireAdmin(actor);
    await this.getOrganization(actor, id);
    await this.repo.transaction(async (tx) => {
      await tx.deleteOrganization(id);
      await this.audit(actor, "organization.delete", id, id, {}, tx);
    });
  }

  // ------------------------------------------------------------------ names
  /**
   * The id of the organization `ref` names: its id or its name. A key of one organization resolves only
   * its own (anything else is 403, whether or not it exists, so names of other organizations do not
   * leak); an admin gets a 404 `not-found` problem for a name or id that matches nothing.
   */
  async resolveOrganization(actor: Actor, ref: string): Promise<string> {
    if (actor.kind === "key" && actor.key.scope.kind !== "admin") {
      const own = actor.key.scope.organizationId;
      if (ref === own || (await this.repo.getOrganization(own))?.name === ref) return own;
      throw problem("forbidden", "this API key belongs to another organization");
    }
    const byId = await this.repo.getOrganization(ref);
    if (byId) return byId.id;
    const byName = (await this.repo.listOrganizations()).find((o) => o.name === ref);
    if (!byName) throw problem("not-found", `no organization "${ref}" (neither an id nor a name)`);
    return byName.id;
  }

  /** The id of the project `ref` (id or name) of organization `orgId` (an id); 404 when none matches. */
  async resolveProject(actor: Actor, orgId: string, ref: string): Promise<string> {
    requireMember(actor, orgId);
    const byId = await this.repo.getProject(ref);
    if (byId && byId.organizationId === orgId) return byId.id;
    const byName = (await this.repo.listProjects(orgId)).find((p) => p.name === ref);
    if (!byName) throw problem("not-found", `no project "${ref}" in organization ${orgId}`);
    return byName.id;
  }

  /** The id of the environment `ref` (id or name) of the project with that id; 404 when none matches. */
  async resolveEnvironment(actor: Actor, orgId: string, projectId: string, ref: string): Promise<string> {
    requireMember(actor, orgId);
    const byId = await this.repo.getEnvironment(ref);
    if (byId && byId.organizationId === orgId && byId.projectId === projectId) return byId.id;
    const byName = (await this.repo.listEnvironments(projectId)).find((e) => e.name === ref);
    if (!byName) throw problem("not-found", `no environment "${ref}" in project ${projectId}`);
    return byName.id;
  }

  // ------------------------------------------------------------------ projects
  async createProject(
    actor: Actor,
    orgId: string,
    input: { name: string; subTemplate?: string | null },
  ): Promise<Project> {
    requireOrgAdmin(actor, orgId);
    const org = await this.getOrganization(actor, orgId);
    checkName("project", input.name);
    if (input.subTemplate) validateSettings({ ...org.settings, subTemplate: input.subTemplate });
    const project: Project = {
      id: this.ids.uuid(),
      organizationId: orgId,
      name: input.name,
      subTemplate: input.subTemplate ?? null,
      createdAt: this.clock(),
    };
    await noDuplicates(() =>
      this.repo.transaction(async (tx) => {
        await tx.createProject(project);
        await this.audit(actor, "project.create", orgId, project.id, { name: project.name }, tx);
      }),
    );
    return project;
  }

  async getProject(actor: Actor, orgId: string, projectId: string): Promise<Project> {
    requireMember(actor, orgId);
    const p = await this.repo.getProject(projectId);
    if (!p || p.organizationId !== orgId)
      throw problem("not-found", `no project ${projectId} in organization ${orgId}`);
    return p;
  }

  async listProjects(actor: Actor, orgId: string): Promise<Project[]> {
    await this.getOrganization(actor, orgId);
    return this.repo.listProjects(orgId);
  }

  async updateProject(
    actor: Actor,
    orgId: string,
    projectId: string,
    input: { name?: string; subTemplate?: string | null },
  ): Promise<Project> {
    requireOrgAdmin(actor, orgId);
    const p = await this.getProject(actor, orgId, projectId);
    const org = await this.getOrganization(actor, orgId);
    if (input.name !== undefined) checkName("project", input.name);
    if (input.subTemplate) validateSettings({ ...org.settings, subTemplate: input.subTemplate });
    const updated: Project = {
      ...p,
      name: input.name ?? p.name,
      subTemplate: input.subTemplate !== undefined ? input.subTemplate : p.subTemplate,
    };
    await noDuplicates(() =>
      this.repo.transaction(async (tx) => {
        await tx.updateProject(updated);
        await this.audit(actor, "project.update", orgId, projectId, { changes: input }, tx);
      }),
    );
    return updated;
  }

  async deleteProject(actor: Actor, orgId: string, projectId: string): Promise<void> {
    requireOrgAdmin(actor, orgId);
    await this.getProject(actor, orgId, projectId);
    await this.repo.transaction(async (tx) => {
      await tx.deleteProject(projectId);
      await this.audit(actor, "project.delete", orgId, projectId, {}, tx);
    });
  }

  // ------------------------------------------------------------------ environments
  async createEnvironment(
    actor: Actor,
    orgId: string,
    projectId: string,
    input: { name: string },
  ): Promise<Environment> {
    requireOrgAdmin(actor, orgId);
    await this.getProject(actor, orgId, projectId);
    checkName("environment", input.name);
    const env: Environment = {
      id: this.ids.uuid(),
      organizationId: orgId,
      projectId,
      name: input.name,
      createdAt: this.clock(),
    };
    await noDuplicates(() =>
      this.repo.transaction(async (tx) => {
        await tx.createEnvironment(env);
        await this.audit(actor, "environment.create", orgId, env.id, { name: env.name, projectId }, tx);
      }),
    );
    return env;
  }

  async getEnvironment(actor: Actor, orgId: string, projectId: string, envId: string): Promise<Environment> {
    requireMember(actor, orgId);
    const e = await this.repo.getEnvironment(envId);
    if (!e || e.organizationId !== orgId || e.projectId !== projectId) {
      throw problem("not-found", `no environment ${envId} in project ${projectId}`);
    }
    return e;
  }

  async listEnvironments(actor: Actor, orgId: string, projectId: string): Promise<Environment[]> {
    await this.getProject(actor, orgId, projectId);
    return this.repo.listEnvironments(projectId);
  }

  async updateEnvironment(
    actor: Actor,
    orgId: string,
    projectId: string,
    envId: string,
    input: { name?: string },
  ): Promise<Environment> {
    requireOrgAdmin(actor, orgId);
    const e = await this.getEnvironment(actor, orgId, projectId, envId);
    if (input.name !== undefined) checkName("environment", input.name);
    const updated = { ...e, name: input.name ?? e.name };
    await noDuplicates(() =>
      this.repo.transaction(async (tx) => {
        await tx.updateEnvironment(updated);
        await this.audit(actor, "environment.update", orgId, envId, { changes: input }, tx);
      }),
    );
    return updated;
  }

  async deleteEnvironment(actor: Actor, orgId: string, projectId: string, envId: string): Promise<void> {
    requireOrgAdmin(actor, orgId);
    await this.getEnvironment(actor, orgId, projectId, envId);
    await this.repo.transaction(async (tx) => {
      await tx.deleteEnvironment(envId);
      await this.audit(actor, "environment.delete", orgId, envId, {}, tx);
    });
  }
}
