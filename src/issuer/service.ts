import type { Clock } from "../lib/clock.js";
import type { IdGenerator } from "../lib/ids.js";
import { AuditBatcher, type AuditSink } from "./audit-batcher.js";
import {
  type Actor,
  actorName,
  requireAdmin,
  requireMember,
  requireOrgAdmin,
  requireRunner,
} from "./authz.js";
import {
  allowedAudiences,
  type BuiltToken,
  buildToken,
  issuerFor,
  profileOf,
  validateAttributes,
  validateSettings,
} from "./claims/build.js";
import { type ClaimContext, KEYLESS_CLAIMS, PROFILE } from "./claims/profiles.js";
import { problem } from "./errors.js";
import type { KeyEncryptionKey } from "./kek.js";
import {
  type KeyPolicy,
  type KeyStatus,
  keyStatuses,
  MIN_OVERLAP_MS,
  publishedKeys,
  scheduledRotation,
  signingKey,
} from "./key-lifecycle.js";
import {
  type ApiKey,
  type ApiKeyScope,
  type Environment,
  type Organization,
  type OrganizationSettings,
  type ProfileName,
  type Project,
  type Run,
  type RunStatus,
  runIsLive,
  type SigningAlgorithm,
  type SigningKeyRecord,
} from "./model.js";
import { DuplicateError, type IssuerRepository } from "./repository.js";
import { hashSecret, newSecret } from "./secrets.js";
import { generateSigningKey, publicJwk, Signer } from "./signing-keys.js";

export interface IssuerConfig {
  /** The server's own issuer URL (`iss` of organizations without another form). */
  readonly issuerUrl: string;
  /** Base of request URLs handed to jobs: where this server is reachable from jobs. */
  readonly publicUrl: string;
  readonly signingAlgorithm: SigningAlgorithm;
  readonly keyPolicy: KeyPolicy;
  /** Ceiling for every organization's maxLifetimeSeconds (bounds how long retired keys stay published). */
  readonly maxTokenLifetimeSeconds: number;
  /** How long the signing-key list and JWKS may be served from memory. */
  readonly keyCacheMs: number;
}

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

export interface RunInput {
  readonly environmentId: string;
  readonly phase: string;
  readonly deployer: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly timeoutSeconds?: number;
}

export interface CreatedRun {
  readonly run: Run;
  /** Shown once. */
  readonly requestToken: string;
  readonly requestUrl: string;
}

export interface CreatedApiKey {
  readonly key: ApiKey;
  /** Shown once. */
  readonly secret: string;
}

const NAME = /^[^\s\p{Cc}](?:[^\p{Cc}]{0,98}[^\s\p{Cc}])?$/u;
const PHASE = /^[a-z][a-z0-9_-]{0,31}$/;
export const MAX_RUN_TIMEOUT_SECONDS = 7 * 24 * 3600;
export const MAX_JWKS_KEYS_PER_TYPE = 100;

function checkName(what: string, name: string): void {
  if (!NAME.test(name)) {
    throw problem(
      "bad-request",
      `${what} name "${name}" must be 1–100 characters, no control characters or outer spaces`,
    );
  }
}

async function noDuplicates<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof DuplicateError) throw problem("conflict", e.message);
    throw e;
  }
}

/**
 * The issuer's behaviour: every rule of the model, authorization, claims and keys, over a repository, a
 * clock and an id generator. The HTTP layer only translates wire shapes to these calls.
 */
export class IssuerService {
  private readonly signer: Signer;
  private readonly mintAudit: AuditBatcher;
  private readonly kekForNewKeys: KeyEncryptionKey;
  private keysCache: { at: number; keys: SigningKeyRecord[] } | undefined;
  private jwksCache: { at: number; jwks: { keys: Record<string, unknown>[] } } | undefined;

  constructor(
    readonly repo: IssuerRepository,
    kek: KeyEncryptionKey,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    readonly config: IssuerConfig,
    options: { auditSink?: AuditSink } = {},
  ) {
    this.kekForNewKeys = kek;
    this.signer = new Signer(kek);
    this.mintAudit = new AuditBatcher(options.auditSink ?? repo);
    if (config.keyPolicy.overlapMs < MIN_OVERLAP_MS) {
      throw new Error(`the key overlap must be at least ${MIN_OVERLAP_MS / 60000} minutes (AWS caches JWKS)`);
    }
  }

  // ------------------------------------------------------------------ authentication
  async authenticate(secret: string | undefined): Promise<Actor> {
    if (!secret) throw problem("unauthorized", "an API key is required: Authorization: Bearer <key>");
    const key = await this.repo.getApiKeyBySecretHash(hashSecret(secret));
    if (!key || key.revokedAt !== null) throw problem("unauthorized", "the API key is not valid");
    return { kind: "key", key };
  }

  private async audit(
    actor: Actor | string,
    action: string,
    organizationId: string | null,
    target: string | null,
    details: Record<string, unknown>,
    repo: IssuerRepository = this.repo,
  ): Promise<void> {
    await repo.appendAudit({
      id: this.ids.uuid(),
      at: this.clock(),
      actor: typeof actor === "string" ? actor : actorName(actor),
      action,
      organizationId,
      target,
      kid: null,
      tokenExp: null,
      details,
    });
  }

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

  // ------------------------------------------------------------------ runs
  private async runContext(orgId: string, environmentId: string): Promise<Omit<ClaimContext, "run">> {
    const organization = await this.repo.getOrganization(orgId);
    const environment = await this.repo.getEnvironment(environmentId);
    if (!organization) throw problem("not-found", `no organization ${orgId}`);
    if (!environment || environment.organizationId !== orgId) {
      throw problem("not-found", `no environment ${environmentId} in organization ${orgId}`);
    }
    const project = await this.repo.getProject(environment.projectId);
    if (!project) throw problem("not-found", `no project ${environment.projectId}`);
    return { organization, project, environment };
  }

  private draftRun(ctx: Omit<ClaimContext, "run">, input: RunInput): Run {
    if (!PHASE.test(input.phase)) {
      throw problem(
        "bad-request",
        `phase "${input.phase}" must be plan, apply, destroy or a custom lower-case name`,
      );
    }
    if (input.deployer.length === 0 || input.deployer.length > 256) {
      throw problem("bad-request", "deployer must be 1 to 256 characters");
    }
    const attributes = input.attributes ?? {};
    validateAttributes(attributes);
    const timeout = input.timeoutSeconds ?? ctx.organization.settings.runTimeoutSeconds;
    if (!Number.isInteger(timeout) || timeout < 60 || timeout > MAX_RUN_TIMEOUT_SECONDS) {
      throw problem(
        "bad-request",
        `timeoutSeconds must be a whole number between 60 and ${MAX_RUN_TIMEOUT_SECONDS}`,
      );
    }
    const now = this.clock();
    return {
      id: this.ids.uuid(),
      organizationId: ctx.organization.id,
      projectId: ctx.project.id,
      environmentId: ctx.environment.id,
      phase: input.phase,
      deployer: input.deployer,
      attributes,
      status: "running",
      createdAt: now,
      expiresAt: now + timeout * 1000,
      completedAt: null,
    };
  }

  /**
   * A run, and its request URL and token. The claims are checked now (a dry run with the default
   * audience), so a run whose subject would be ambiguous is refused before any job starts.
   */
  async createRun(actor: Actor, orgId: string, input: RunInput): Promise<CreatedRun> {
    requireMember(actor, orgId);
    const ctx = await this.runContext(orgId, input.environmentId);
    requireRunner(actor, orgId, ctx.project.id);
    const run = this.draftRun(ctx, input);
    buildToken({ ...ctx, run }, {}, this.at("dry-run"));
    const requestToken = newSecret(this.ids, "run");
    await this.repo.transaction(async (tx) => {
      await tx.createRun(run, hashSecret(requestToken));
      await this.audit(
        actor,
        "run.create",
        orgId,
        run.id,
        { environmentId: run.environmentId, phase: run.phase },
        tx,
      );
    });
    return { run, requestToken, requestUrl: this.requestUrl(run.id) };
  }

  requestUrl(runId: string): string {
    return `${this.config.publicUrl.replace(/\/$/, "")}/runs/${runId}/token?api-version=1`;
  }

  async getRun(actor: Actor, orgId: string, runId: string): Promise<Run> {
    requireMember(actor, orgId);
    const run = await this.repo.getRun(runId);
    if (!run || run.organizationId !== orgId)
      throw problem("not-found", `no run ${runId} in organization ${orgId}`);
    requireRunner(actor, orgId, run.projectId);
    return run;
  }

  async listRuns(
    actor: Actor,
    orgId: string,
    options: { projectId?: string; limit?: number },
  ): Promise<Run[]> {
    requireMember(actor, orgId);
    let projectId = options.projectId;
    if (actor.kind === "key" && actor.key.scope.kind === "runner") {
      if (projectId && projectId !== actor.key.scope.projectId) requireRunner(actor, orgId, projectId);
      projectId = actor.key.scope.projectId;
    }
    return this.repo.listRuns({
      organizationId: orgId,
      ...(projectId ? { projectId } : {}),
      limit: options.limit ?? 100,
    });
  }

  /** Ends a run: its request token stops working at once. */
  async completeRun(
    actor: Actor,
    orgId: string,
    runId: string,
    status: Exclude<RunStatus, "running">,
  ): Promise<Run> {
    const run = await this.getRun(actor, orgId, runId);
    if (run.status !== "running") throw problem("conflict", `run ${runId} is already ${run.status}`);
    const at = this.clock();
    await this.repo.transaction(async (tx) => {
      if (!(await tx.completeRun(runId, status, at)))
        throw problem("conflict", `run ${runId} is no longer running`);
      await this.audit(actor, "run.complete", orgId, runId, { status }, tx);
    });
    return { ...run, status, completedAt: at };
  }

  /** What a run would get (or an existing run gets), without signing or storing anything. */
  async previewClaims(
    actor: Actor,
    orgId: string,
    input: ({ runId: string } | RunInput) & { audience?: string; lifetimeSeconds?: number },
  ): Promise<{
    header: Record<string, unknown>;
    claims: Record<string, unknown>;
    allowedAudiences: readonly string[];
  }> {
    let ctx: ClaimContext;
    if ("runId" in input) {
      const run = await this.getRun(actor, orgId, input.runId);
      ctx = { ...(await this.runContext(orgId, run.environmentId)), run };
    } else {
      requireMember(actor, orgId);
      const base = await this.runContext(orgId, input.environmentId);
      requireRunner(actor, orgId, base.project.id);
      ctx = { ...base, run: this.draftRun(base, input) };
    }
    const token = buildToken(ctx, this.tokenRequest(input), this.at(this.ids.uuid()));
    const key = signingKey(await this.keys(), this.clock());
    return {
      header: { alg: key?.alg ?? this.config.signingAlgorithm, kid: key?.kid ?? null, typ: "JWT" },
      claims: token.claims,
      allowedAudiences: allowedAudiences(ctx),
    };
  }

  private tokenRequest(input: { audience?: string | undefined; lifetimeSeconds?: number | undefined }) {
    return {
      ...(input.audience !== undefined ? { audience: input.audience } : {}),
      ...(input.lifetimeSeconds !== undefined ? { lifetimeSeconds: input.lifetimeSeconds } : {}),
    };
  }

  private at(jti: string) {
    return { nowSeconds: Math.floor(this.clock() / 1000), jti, serverIssuer: this.config.issuerUrl };
  }

  // ------------------------------------------------------------------ minting
  /**
   * The token endpoint: the request token names the run; the run fixes the claims; the job chooses only
   * the audience (from the allowed list) and the lifetime (under the cap). Every mint is audited.
   */
  async mint(
    requestToken: string | undefined,
    runIdInUrl: string,
    request: { audience?: string | undefined; lifetimeSeconds?: number | undefined },
  ): Promise<{ value: string; token: BuiltToken; kid: string }> {
    if (!requestToken)
      throw problem("unauthorized", "a request token is required: Authorization: Bearer <token>");
    const found = await this.repo.getMintContext(hashSecret(requestToken));
    if (!found || found.run.id !== runIdInUrl) {
      throw problem("unauthorized", "the request token is not valid for this URL");
    }
    const { run } = found;
    if (!runIsLive(run, this.clock())) {
      throw problem(
        "run-not-live",
        run.status === "running"
          ? `run ${run.id} timed out; its request token is dead`
          : `run ${run.id} is ${run.status}; its request token is dead`,
      );
    }
    const ctx = found;
    const jti = this.ids.uuid();
    const token = buildToken(ctx, this.tokenRequest(request), this.at(jti));
    const key = signingKey(await this.keys(), this.clock());
    if (!key)
      throw problem("no-signing-key", "no signing key is active; run `keyless keys rotate --immediate`");
    const signed = await this.signer.sign(key, token.claims);
    await this.mintAudit.append({
      id: jti,
      at: this.clock(),
      actor: `run:${run.id}`,
      action: "token.mint",
      organizationId: run.organizationId,
      target: run.id,
      kid: key.kid,
      tokenExp: token.expiresAt,
      details: {
        jti,
        run: run.id,
        audience: token.audience,
        sub: token.subject,
        exp: token.expiresAt,
        kid: key.kid,
      },
    });
    return { value: signed.jwt, token, kid: key.kid };
  }

  // ------------------------------------------------------------------ API keys
  async createApiKey(actor: Actor, input: { name: string; scope: ApiKeyScope }): Promise<CreatedApiKey> {
    const s = input.scope;
    if (s.kind === "admin") requireAdmin(actor);
    else requireOrgAdmin(actor, s.organizationId);
    if (s.kind !== "admin") await this.getOrganization(actor, s.organizationId);
    if (s.kind === "runner") await this.getProject(actor, s.organizationId, s.projectId);
    checkName("API key", input.name);
    const secret = newSecret(this.ids, "api");
    const key: ApiKey = {
      id: this.ids.uuid(),
      name: input.name,
      scope: s,
      createdAt: this.clock(),
      revokedAt: null,
    };
    const org = s.kind === "admin" ? null : s.organizationId;
    await this.repo.transaction(async (tx) => {
      await tx.createApiKey(key, hashSecret(secret));
      await this.audit(actor, "api-key.create", org, key.id, { name: key.name, scope: s }, tx);
    });
    return { key, secret };
  }

  async listApiKeys(actor: Actor, orgId: string | null): Promise<ApiKey[]> {
    if (orgId === null) requireAdmin(actor);
    else requireOrgAdmin(actor, orgId);
    return this.repo.listApiKeys(orgId);
  }

  async revokeApiKey(actor: Actor, orgId: string | null, keyId: string): Promise<void> {
    if (orgId === null) requireAdmin(actor);
    else requireOrgAdmin(actor, orgId);
    const key = await this.repo.getApiKey(keyId);
    const keyOrg = key && key.scope.kind !== "admin" ? key.scope.organizationId : null;
    if (!key || keyOrg !== orgId) throw problem("not-found", `no API key ${keyId} here`);
    if (key.revokedAt !== null) throw problem("conflict", `API key ${keyId} is already revoked`);
    await this.repo.transaction(async (tx) => {
      await tx.revokeApiKey(keyId, this.clock());
      await this.audit(actor, "api-key.revoke", orgId, keyId, { name: key.name }, tx);
    });
  }

  /** The first admin key, when none exists (first start). Returns undefined when one already exists. */
  async bootstrapAdminKey(): Promise<CreatedApiKey | undefined> {
    if ((await this.repo.countActiveAdminKeys()) > 0) return undefined;
    return this.createApiKey({ kind: "operator" }, { name: "bootstrap", scope: { kind: "admin" } });
  }

  // ------------------------------------------------------------------ signing keys
  private async keys(): Promise<SigningKeyRecord[]> {
    const now = this.clock();
    if (this.keysCache && now - this.keysCache.at < this.config.keyCacheMs && now >= this.keysCache.at) {
      return this.keysCache.keys;
    }
    const keys = await this.repo.listSigningKeys();
    this.keysCache = { at: now, keys };
    return keys;
  }

  private forgetKeys(): void {
    this.keysCache = undefined;
    this.jwksCache = undefined;
  }

  async keyStatuses(actor: Actor): Promise<KeyStatus[]> {
    requireAdmin(actor);
    return this.statuses(await this.repo.listSigningKeys());
  }

  private async statuses(keys: SigningKeyRecord[]): Promise<KeyStatus[]> {
    const now = this.clock();
    const lastExp = new Map<string, number | null>();
    for (const k of keys) {
      if (k.activateAt <= now) lastExp.set(k.kid, await this.repo.maxTokenExpiry(k.kid));
    }
    return keyStatuses(keys, now, (kid) => {
      const s = lastExp.get(kid);
      return s === null || s === undefined ? null : s * 1000;
    });
  }

  /**
   * Creates the next key. Normally it is published now and signs after the overlap; `immediate` (an
   * emergency, e.g. a suspected leak) makes it sign at once — verifiers whose JWKS copy predates it will
   * refuse its tokens until they refresh.
   */
  async rotate(
    actor: Actor,
    options: { immediate?: boolean; algorithm?: SigningAlgorithm } = {},
  ): Promise<SigningKeyRecord> {
    requireAdmin(actor);
    const now = this.clock();
    const existing = await this.repo.listSigningKeys();
    if (!options.immediate && existing.some((k) => k.activateAt > now && k.retiredAt === null)) {
      throw problem(
        "conflict",
        "a new key is already waiting out its overlap; retire it first or use --immediate",
      );
    }
    // AWS reads at most 100 RSA and 100 EC keys from a JWKS; beyond that its tokens fail (§4.5).
    const alg = options.algorithm ?? this.config.signingAlgorithm;
    const published = publishedKeys(await this.statuses(existing)).filter((k) => k.alg === alg).length;
    if (published >= MAX_JWKS_KEYS_PER_TYPE) {
      throw problem(
        "conflict",
        `${published} ${alg} keys are still published; AWS reads at most ${MAX_JWKS_KEYS_PER_TYPE} per key type`,
      );
    }
    const activateAt =
      options.immediate || existing.length === 0 ? now : now + this.config.keyPolicy.overlapMs;
    return this.addKey(
      actor,
      options.algorithm ?? this.config.signingAlgorithm,
      activateAt,
      "signing-key.rotate",
      now,
    );
  }

  /** `createdAt` is the moment the decision was taken, so the overlap is exact whatever keygen takes. */
  private async addKey(
    actor: Actor | string,
    alg: SigningAlgorithm,
    activateAt: number,
    action: string,
    createdAt: number,
  ) {
    const key = await generateSigningKey(alg, this.kekForNewKeys, { createdAt, activateAt });
    await this.repo.transaction(async (tx) => {
      await tx.insertSigningKey(key);
      await this.audit(actor, action, null, key.kid, { alg, activateAt }, tx);
    });
    this.forgetKeys();
    return key;
  }

  /** Stops a key signing now; it stays published until its last token has expired. */
  async retire(actor: Actor, kid: string): Promise<void> {
    requireAdmin(actor);
    const now = this.clock();
    const keys = await this.repo.listSigningKeys();
    const key = keys.find((k) => k.kid === kid);
    if (!key) throw problem("not-found", `no signing key ${kid}`);
    if (key.retiredAt !== null) throw problem("conflict", `signing key ${kid} is already retired`);
    const after = keys.map((k) => (k.kid === kid ? { ...k, retiredAt: now } : k));
    if (signingKey(keys, now)?.kid === kid && !signingKey(after, now)) {
      throw problem(
        "conflict",
        `${kid} is the only key that can sign; run \`keyless keys rotate --immediate\` first`,
      );
    }
    await this.repo.transaction(async (tx) => {
      await tx.retireSigningKey(kid, now);
      await this.audit(actor, "signing-key.retire", null, kid, {}, tx);
    });
    this.forgetKeys();
  }

  /** First start and the rotation schedule: called at start and periodically by the server. */
  async maintainKeys(): Promise<SigningKeyRecord | undefined> {
    const keys = await this.repo.listSigningKeys();
    const now = this.clock();
    const decision = scheduledRotation(keys, now, this.config.keyPolicy);
    if (decision.action === "none") return undefined;
    return this.addKey(
      "system",
      this.config.signingAlgorithm,
      decision.activateAt,
      `signing-key.${decision.action}`,
      now,
    );
  }

  // ------------------------------------------------------------------ discovery
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const now = this.clock();
    if (this.jwksCache && now - this.jwksCache.at < this.config.keyCacheMs && now >= this.jwksCache.at) {
      return this.jwksCache.jwks;
    }
    const statuses = await this.statuses(await this.repo.listSigningKeys());
    const jwks = { keys: publishedKeys(statuses).map((k) => publicJwk(k) as Record<string, unknown>) };
    this.jwksCache = { at: now, jwks };
    return jwks;
  }

  /** Every issuer URL this server answers for: its own, and each organization's form. */
  async issuers(): Promise<{ issuer: string; jwksPath: string }[]> {
    const out = new Map<string, string>([[this.config.issuerUrl, PROFILE.keyless.jwksPath]]);
    for (const org of await this.repo.listOrganizations()) {
      const iss = issuerFor({ organization: org }, this.config.issuerUrl);
      if (!out.has(iss)) out.set(iss, profileOf(org.settings).jwksPath);
    }
    return [...out].map(([issuer, jwksPath]) => ({ issuer, jwksPath }));
  }

  discovery(issuer: string, jwksPath: string): Record<string, unknown> {
    const algs = [...new Set([this.config.signingAlgorithm, "RS256", "ES256"])];
    return {
      issuer,
      jwks_uri: `${issuer.replace(/\/$/, "")}${jwksPath}`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: algs,
      scopes_supported: ["openid"],
      claims_supported: ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", ...KEYLESS_CLAIMS, "ref", "commit"],
    };
  }

  // ------------------------------------------------------------------ audit
  async listAudit(
    actor: Actor,
    orgId: string | null,
    options: { limit?: number; before?: number; action?: string },
  ) {
    if (orgId === null) requireAdmin(actor);
    else requireOrgAdmin(actor, orgId);
    return this.repo.listAudit({
      ...(orgId !== null ? { organizationId: orgId } : {}),
      ...(options.action ? { action: options.action } : {}),
      ...(options.before !== undefined ? { before: options.before } : {}),
      limit: Math.min(options.limit ?? 100, 1000),
    });
  }
}
