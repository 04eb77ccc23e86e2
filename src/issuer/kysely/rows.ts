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
} from "../model.js";
import { DuplicateError } from "../repository.js";
import type {
  ApiKeyRow,
  AuditRow,
  EnvironmentRow,
  IssuerTables,
  OrganizationRow,
  ProjectRow,
  RunRow,
  SigningKeyRow,
} from "../tables.js";

/** A connection or an open transaction over the issuer's tables. */
export type IssuerDb = Kysely<IssuerTables> | Transaction<IssuerTables>;

// node-postgres returns `bigint` columns as strings (they may exceed 2^53); our epoch-ms values do not,
// so they are converted here rather than by a process-wide pg type parser other components might not expect.
export const num = (v: number | string): number => Number(v);
export const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

export async function unique<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateError(what);
    throw error;
  }
}

export const toOrganization = (r: OrganizationRow): Organization => ({
  id: r.id,
  name: r.name,
  settings: JSON.parse(r.settings) as OrganizationSettings,
  createdAt: num(r.created_at),
});

export const toRun = (r: RunRow): Run => ({
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

export const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  scope: toScope(r),
  createdAt: num(r.created_at),
  revokedAt: numOrNull(r.revoked_at),
});

export const toSigningKey = (r: SigningKeyRow): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg as SigningAlgorithm,
  publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
  privateKeySealed: r.private_key_sealed,
  createdAt: num(r.created_at),
  activateAt: num(r.activate_at),
  retiredAt: numOrNull(r.retired_at),
});

export const toAudit = (r: AuditRow): AuditEntry => ({
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

export const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  subTemplate: r.sub_template,
  createdAt: num(r.created_at),
});

export const toEnvironment = (r: EnvironmentRow): Environment => ({
  id: r.id,
  organizationId: r.organization_id,
  projectId: r.project_id,
  name: r.name,
  createdAt: num(r.created_at),
});
