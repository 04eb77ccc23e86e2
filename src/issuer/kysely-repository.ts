import type { Kysely, Transaction } from "kysely";
import type {
  ApiKey,
  ApiKeyScope,
  AuditEntry,
  Environment,
  Organization,
  OrganizationSettings,
  Project,
  Run,
  RunStatus,
  SigningAlgorithm,
  SigningKeyRecord,
} from "./model.js";
import { type AuditFilter, DuplicateError, type IssuerRepository } from "./repository.js";
import type { ApiKeyRow, AuditRow, IssuerTables, OrganizationRow, RunRow, SigningKeyRow } from "./tables.js";

// node-postgres returns `bigint` columns as strings (they may exceed 2^53); our epoch-ms values do not,
// so they are converted here rather than by a process-wide pg type parser other components might not expect.
const num = (v: number | string): number => Number(v);
const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

async function unique<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateError(what);
    throw error;
  }
}

const toOrganization = (r: OrganizationRow): Organization => ({
  id: r.id,
  name: r.name,
  settings: JSON.parse(r.settings) as OrganizationSettings,
  createdAt: num(r.created_at),
});

const toRun = (r: RunRow): Run => ({
  id: r.id,
  organizationId: r.organization_id,
  projectId: r.project_id,
  environmentId: r.environment_id,
  phase: r.phase,
  deployer: r.deployer,
  attributes: JSON.parse(r.attributes) as Record<string, string>,
  status: r.status as RunStatus,
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at),
  completedAt: numOrNull(r.completed_at),
});

function toScope(r: ApiKeyRow): ApiKeyScope {
  if (r.scope === "admin") return { kind: "admin" };
  if (r.scope === "org_admin" && r.organization_id)
    return { kind: "org_admin", organizationId: r.organization_id };
  if (r.scope === "runner" && r.organization_id && r.project_id) {
    return { kind: "runner", organizationId: r.organization_id, projectId: r.project_id };
  }
  throw new Error(`API key ${r.id} has an inconsistent scope`);
}

const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  scope: toScope(r),
  createdAt: num(r.created_at),
  revokedAt: numOrNull(r.revoked_at),
});

const toSigningKey = (r: SigningKeyRow): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg as SigningAlgorithm,
  publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
  privateKeySealed: r.private_key_sealed,
  createdAt: num(r.created_at),
  activateAt: num(r.activate_at),
  retiredAt: numOrNull(r.retired_at),
});

const toAudit = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: num(r.at),
  actor: r.actor,
  action: r.action,
  organizationId: r.organization_id,
  target: r.target,
  kid: r.kid,
  tokenExp: numOrNull(r.token_exp),
  details: JSON.parse(r.details) as Record<string, unknown>,
});

/** The issuer's storage on Kysely: the same code for SQLite and PostgreSQL. */
export class KyselyIssuerRepository implements IssuerRepository {
  constructor(private readonly db: Kysely<IssuerTables> | Transaction<IssuerTables>) {}

  async transaction<T>(fn: (repo: IssuerRepository) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    return (this.db as Kysely<IssuerTables>)
      .transaction()
      .execute((trx) => fn(new KyselyIssuerRepository(trx)));
  }

  // ---- organizations
  async createOrganization(org: Organization): Promise<void> {
    await unique(`an organization named "${org.name}" already exists`, () =>
      this.db
        .insertInto("issuer_organizations")
        .values({
          id: org.id,
          name: org.name,
          settings: JSON.stringify(org.settings),
          created_at: org.createdAt,
        })
        .execute(),
    );
  }
  async getOrganization(id: string): Promise<Organization | undefined> {
    const row = await this.db
      .selectFrom("issuer_organizations")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && toOrganization(row);
  }
  async listOrganizations(): Promise<Organization[]> {
    const rows = await this.db.selectFrom("issuer_organizations").selectAll().orderBy("name").execute();
    return rows.map(toOrganization);
  }
  async updateOrganization(org: Organization): Promise<void> {
    await unique(`an organization named "${org.name}" already exists`, () =>
      this.db
        .updateTable("issuer_organizations")
        .set({ name: org.name, settings: JSON.stringify(org.settings) })
        .where("id", "=", org.id)
        .execute(),
    );
  }
  async deleteOrganization(id: string): Promise<boolean> {
    // Explicit child deletes: SQLite enforces ON DELETE CASCADE only with foreign_keys on, and being
    // explicit keeps both dialects identical whatever the connection settings.
    await this.db.deleteFrom("issuer_api_keys").where("organization_id", "=", id).execute();
    await this.db.deleteFrom("issuer_runs").where("organization_id", "=", id).execute();
    await this.db.deleteFrom("issuer_environments").where("organization_id", "=", id).execute();
    await this.db.deleteFrom("issuer_projects").where("organization_id", "=", id).execute();
    const r = await this.db.deleteFrom("issuer_organizations").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // ---- projects
  async createProject(p: Project): Promise<void> {
    await unique(`a project named "${p.name}" already exists in this organization`, () =>
      this.db
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
  }
  async getProject(id: string): Promise<Project | undefined> {
    const r = await this.db.selectFrom("issuer_projects").selectAll().where("id", "=", id).executeTakeFirst();
    return (
      r && {
        id: r.id,
        organizationId: r.organization_id,
        name: r.name,
        subTemplate: r.sub_template,
        createdAt: num(r.created_at),
      }
    );
  }
  async listProjects(organizationId: string): Promise<Project[]> {
    const rows = await this.db
      .selectFrom("issuer_projects")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .orderBy("name")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      organizationId: r.organization_id,
      name: r.name,
      subTemplate: r.sub_template,
      createdAt: num(r.created_at),
    }));
  }
  async updateProject(p: Project): Promise<void> {
    await unique(`a project named "${p.name}" already exists in this organization`, () =>
      this.db
        .updateTable("issuer_projects")
        .set({ name: p.name, sub_template: p.subTemplate })
        .where("id", "=", p.id)
        .execute(),
    );
  }
  async deleteProject(id: string): Promise<boolean> {
    await this.db.deleteFrom("issuer_api_keys").where("project_id", "=", id).execute();
    await this.db.deleteFrom("issuer_runs").where("project_id", "=", id).execute();
    await this.db.deleteFrom("issuer_environments").where("project_id", "=", id).execute();
    const r = await this.db.deleteFrom("issuer_projects").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // ---- environments
  async createEnvironment(e: Environment): Promise<void> {
    await unique(`an environment named "${e.name}" already exists in this project`, () =>
      this.db
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
  }
  async getEnvironment(id: string): Promise<Environment | undefined> {
    const r = await this.db
      .selectFrom("issuer_environments")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return (
      r && {
        id: r.id,
        organizationId: r.organization_id,
        projectId: r.project_id,
        name: r.name,
        createdAt: num(r.created_at),
      }
    );
  }
  async listEnvironments(projectId: string): Promise<Environment[]> {
    const rows = await this.db
      .selectFrom("issuer_environments")
      .selectAll()
      .where("project_id", "=", projectId)
      .orderBy("name")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      organizationId: r.organization_id,
      projectId: r.project_id,
      name: r.name,
      createdAt: num(r.created_at),
    }));
  }
  async updateEnvironment(e: Environment): Promise<void> {
    await unique(`an environment named "${e.name}" already exists in this project`, () =>
      this.db.updateTable("issuer_environments").set({ name: e.name }).where("id", "=", e.id).execute(),
    );
  }
  async deleteEnvironment(id: string): Promise<boolean> {
    await this.db.deleteFrom("issuer_runs").where("environment_id", "=", id).execute();
    const r = await this.db.deleteFrom("issuer_environments").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // ---- runs
  async createRun(run: Run, requestTokenHash: string): Promise<void> {
    await unique("run already exists", () =>
      this.db
        .insertInto("issuer_runs")
        .values({
          id: run.id,
          organization_id: run.organizationId,
          project_id: run.projectId,
          environment_id: run.environmentId,
          phase: run.phase,
          deployer: run.deployer,
          attributes: JSON.stringify(run.attributes),
          request_token_hash: requestTokenHash,
          status: run.status,
          created_at: run.createdAt,
          expires_at: run.expiresAt,
          completed_at: run.completedAt,
        })
        .execute(),
    );
  }
  async getRun(id: string): Promise<Run | undefined> {
    const r = await this.db.selectFrom("issuer_runs").selectAll().where("id", "=", id).executeTakeFirst();
    return r && toRun(r);
  }
  async getRunByRequestTokenHash(hash: string): Promise<Run | undefined> {
    const r = await this.db
      .selectFrom("issuer_runs")
      .selectAll()
      .where("request_token_hash", "=", hash)
      .executeTakeFirst();
    return r && toRun(r);
  }
  async getMintContext(hash: string) {
    const r = await this.db
      .selectFrom("issuer_runs as r")
      .innerJoin("issuer_organizations as o", "o.id", "r.organization_id")
      .innerJoin("issuer_projects as p", "p.id", "r.project_id")
      .innerJoin("issuer_environments as e", "e.id", "r.environment_id")
      .selectAll("r")
      .select([
        "o.name as o_name",
        "o.settings as o_settings",
        "o.created_at as o_created_at",
        "p.name as p_name",
        "p.sub_template as p_sub_template",
        "p.created_at as p_created_at",
        "e.name as e_name",
        "e.created_at as e_created_at",
      ])
      .where("r.request_token_hash", "=", hash)
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      run: toRun(r),
      organization: toOrganization({
        id: r.organization_id,
        name: r.o_name,
        settings: r.o_settings,
        created_at: r.o_created_at,
      }),
      project: {
        id: r.project_id,
        organizationId: r.organization_id,
        name: r.p_name,
        subTemplate: r.p_sub_template,
        createdAt: num(r.p_created_at),
      },
      environment: {
        id: r.environment_id,
        organizationId: r.organization_id,
        projectId: r.project_id,
        name: r.e_name,
        createdAt: num(r.e_created_at),
      },
    };
  }

  async listRuns(filter: { organizationId: string; projectId?: string; limit: number }): Promise<Run[]> {
    let q = this.db
      .selectFrom("issuer_runs")
      .selectAll()
      .where("organization_id", "=", filter.organizationId);
    if (filter.projectId) q = q.where("project_id", "=", filter.projectId);
    const rows = await q.orderBy("created_at", "desc").orderBy("id").limit(filter.limit).execute();
    return rows.map(toRun);
  }
  async completeRun(id: string, status: RunStatus, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable("issuer_runs")
      .set({ status, completed_at: at })
      .where("id", "=", id)
      .where("status", "=", "running")
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  // ---- API keys
  async createApiKey(key: ApiKey, secretHash: string): Promise<void> {
    const s = key.scope;
    await unique("API key already exists", () =>
      this.db
        .insertInto("issuer_api_keys")
        .values({
          id: key.id,
          name: key.name,
          secret_hash: secretHash,
          scope: s.kind,
          organization_id: s.kind === "admin" ? null : s.organizationId,
          project_id: s.kind === "runner" ? s.projectId : null,
          created_at: key.createdAt,
          revoked_at: key.revokedAt,
        })
        .execute(),
    );
  }
  async getApiKeyBySecretHash(hash: string): Promise<ApiKey | undefined> {
    const r = await this.db
      .selectFrom("issuer_api_keys")
      .selectAll()
      .where("secret_hash", "=", hash)
      .executeTakeFirst();
    return r && toApiKey(r);
  }
  async getApiKey(id: string): Promise<ApiKey | undefined> {
    const r = await this.db.selectFrom("issuer_api_keys").selectAll().where("id", "=", id).executeTakeFirst();
    return r && toApiKey(r);
  }
  async listApiKeys(organizationId: string | null): Promise<ApiKey[]> {
    let q = this.db.selectFrom("issuer_api_keys").selectAll();
    q =
      organizationId === null
        ? q.where("organization_id", "is", null)
        : q.where("organization_id", "=", organizationId);
    const rows = await q.orderBy("created_at").orderBy("id").execute();
    return rows.map(toApiKey);
  }
  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable("issuer_api_keys")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async countActiveAdminKeys(): Promise<number> {
    const r = await this.db
      .selectFrom("issuer_api_keys")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("scope", "=", "admin")
      .where("revoked_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // ---- signing keys
  async insertSigningKey(k: SigningKeyRecord): Promise<void> {
    await unique(`signing key ${k.kid} already exists`, () =>
      this.db
        .insertInto("issuer_signing_keys")
        .values({
          kid: k.kid,
          alg: k.alg,
          public_jwk: JSON.stringify(k.publicJwk),
          private_key_sealed: k.privateKeySealed,
          created_at: k.createdAt,
          activate_at: k.activateAt,
          retired_at: k.retiredAt,
        })
        .execute(),
    );
  }
  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.db
      .selectFrom("issuer_signing_keys")
      .selectAll()
      .orderBy("created_at")
      .orderBy("kid")
      .execute();
    return rows.map(toSigningKey);
  }
  async retireSigningKey(kid: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable("issuer_signing_keys")
      .set({ retired_at: at })
      .where("kid", "=", kid)
      .where("retired_at", "is", null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  // ---- audit
  async appendAudit(e: AuditEntry): Promise<void> {
    await this.appendAudits([e]);
  }
  async appendAudits(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db
      .insertInto("issuer_audit")
      .values(
        entries.map((e) => ({
          id: e.id,
          at: e.at,
          actor: e.actor,
          action: e.action,
          organization_id: e.organizationId,
          target: e.target,
          kid: e.kid,
          token_exp: e.tokenExp,
          details: JSON.stringify(e.details),
        })),
      )
      .execute();
  }
  async listAudit(filter: AuditFilter): Promise<AuditEntry[]> {
    let q = this.db.selectFrom("issuer_audit").selectAll();
    if (filter.organizationId) q = q.where("organization_id", "=", filter.organizationId);
    if (filter.action) q = q.where("action", "=", filter.action);
    if (filter.before !== undefined) q = q.where("at", "<", filter.before);
    const rows = await q.orderBy("at", "desc").orderBy("id", "desc").limit(filter.limit).execute();
    return rows.map(toAudit);
  }
  async maxTokenExpiry(kid: string): Promise<number | null> {
    const r = await this.db
      .selectFrom("issuer_audit")
      .select((eb) => eb.fn.max("token_exp").as("m"))
      .where("kid", "=", kid)
      .executeTakeFirst();
    return r?.m === null || r?.m === undefined ? null : Number(r.m);
  }
}
