import type {
  ApiKey,
  AuditEntry,
  Environment,
  Organization,
  Project,
  Run,
  RunStatus,
  SigningKeyRecord,
} from "./model.js";

/** A unique name (or hash) already exists. The service turns it into a 409 problem. */
export class DuplicateError extends Error {}

export interface AuditFilter {
  readonly organizationId?: string;
  readonly action?: string;
  /** Entries whose action is `kind` or begins with `kind.` (`run` matches `run.create`, `run.complete`). */
  readonly kind?: string;
  /** Entries by this actor (`key:<id>`, `run:<id>`, `operator`). */
  readonly actor?: string;
  /** Entries about this target (a run's id: the tokens minted for it). */
  readonly target?: string;
  readonly limit: number;
  /** Entries strictly before this time (for paging backwards), epoch ms. */
  readonly before?: number;
  /** Entries strictly after this time (for following the log), epoch ms. */
  readonly after?: number;
}

/** Which runs `listRuns` returns, newest first. */
export interface RunFilter {
  readonly organizationId: string;
  readonly projectId?: string;
  readonly environmentId?: string;
  readonly status?: RunStatus;
  readonly limit: number;
}

/** Organizations, their projects and the projects' environments. */
export interface TenancyRepository {
  createOrganization(org: Organization): Promise<void>;
  getOrganization(id: string): Promise<Organization | undefined>;
  listOrganizations(): Promise<Organization[]>;
  updateOrganization(org: Organization): Promise<void>;
  /** Deletes the organization with its projects, environments, runs and API keys. */
  deleteOrganization(id: string): Promise<boolean>;

  createProject(project: Project): Promise<void>;
  getProject(id: string): Promise<Project | undefined>;
  listProjects(organizationId: string): Promise<Project[]>;
  updateProject(project: Project): Promise<void>;
  deleteProject(id: string): Promise<boolean>;

  createEnvironment(env: Environment): Promise<void>;
  getEnvironment(id: string): Promise<Environment | undefined>;
  listEnvironments(projectId: string): Promise<Environment[]>;
  updateEnvironment(env: Environment): Promise<void>;
  deleteEnvironment(id: string): Promise<boolean>;
}

/** What a run's token is minted from: the run with its organization, project and environment. */
export interface MintContext {
  readonly run: Run;
  readonly organization: Organization;
  readonly project: Project;
  readonly environment: Environment;
}

export interface RunRepository {
  createRun(run: Run, requestTokenHash: string): Promise<void>;
  getRun(id: string): Promise<Run | undefined>;
  getRunByRequestTokenHash(hash: string): Promise<Run | undefined>;
  /** The run of a request token with its organization, project and environment, in one query (the hot path). */
  getMintContext(hash: string): Promise<MintContext | undefined>;
  listRuns(filter: RunFilter): Promise<Run[]>;
  /** Moves a running run to a final status; false when it was not running. */
  completeRun(id: string, status: RunStatus, at: number): Promise<boolean>;
}

export interface ApiKeyRepository {
  createApiKey(key: ApiKey, secretHash: string): Promise<void>;
  getApiKeyBySecretHash(hash: string): Promise<ApiKey | undefined>;
  getApiKey(id: string): Promise<ApiKey | undefined>;
  /** Keys of one organization, or the global (admin) keys when organizationId is null. */
  listApiKeys(organizationId: string | null): Promise<ApiKey[]>;
  revokeApiKey(id: string, at: number): Promise<boolean>;
  countActiveAdminKeys(): Promise<number>;
}

/** A stored console session (hashes only; see ConsoleSessionService). Times in epoch milliseconds. */
export interface ConsoleSessionRecord {
  readonly idHash: string;
  readonly csrfHash: string;
  readonly apiKeyId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface ConsoleSessionRepository {
  /** Stores a session, first deleting sessions and codes expired at `createdAt`. */
  createConsoleSession(session: ConsoleSessionRecord): Promise<void>;
  getConsoleSession(idHash: string): Promise<ConsoleSessionRecord | undefined>;
  deleteConsoleSession(idHash: string): Promise<void>;
  createConsoleCode(codeHash: string, apiKeyId: string, expiresAt: number): Promise<void>;
  /** Deletes the code and returns what it stood for, in one statement (so only one redeemer wins). */
  takeConsoleCode(codeHash: string): Promise<{ apiKeyId: string; expiresAt: number } | undefined>;
}

export interface SigningKeyRepository {
  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Every key with the latest `exp` (epoch s) of a token it signed, from the audit log (null if none), in
   * one statement: the key set and the expiries are read from one database snapshot.
   */
  listSigningKeysWithLastExpiry(): Promise<{ key: SigningKeyRecord; lastTokenExp: number | null }[]>;
  /** Sets `retiredAt` once; false when the key is unknown or already retired (never cleared). */
  retireSigningKey(kid: string, at: number): Promise<boolean>;
}

export interface AuditRepository {
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Several entries in one statement (group commit of mint records). */
  appendAudits(entries: readonly AuditEntry[]): Promise<void>;
  listAudit(filter: AuditFilter): Promise<AuditEntry[]>;
}

/**
 * The issuer's storage, small on purpose: the services hold every rule; this only reads and writes. One
 * slice per resource; one Kysely implementation of each serves SQLite and PostgreSQL and the same test
 * suite runs on both.
 */
export interface IssuerRepository
  extends TenancyRepository,
    RunRepository,
    ApiKeyRepository,
    ConsoleSessionRepository,
    SigningKeyRepository,
    AuditRepository {
  /** Runs `fn` atomically (an admin change and its audit entry commit together, or neither does). */
  transaction<T>(fn: (repo: IssuerRepository) => Promise<T>): Promise<T>;
}
