import { AuditBatcher, type AuditSink } from "../audit-batcher.js";
import { type Actor, requireMember, requireRunner } from "../authz.js";
import { allowedAudiences, type BuiltToken, buildToken, validateAttributes } from "../claims/build.js";
import type { ClaimContext } from "../claims/profiles.js";
import { problem } from "../errors.js";
import { type Run, type RunStatus, runIsLive } from "../model.js";
import { hashSecret, newSecret } from "../secrets.js";
import { IssuerResource, type ServiceContext } from "./context.js";
import type { SigningKeyService } from "./signing-keys.js";
import { MAX_RUN_TIMEOUT_SECONDS } from "./tenancy.js";

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

const PHASE = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * Runs and the token endpoint: a run is created with a request token, its claims are fixed by its
 * organization, project and environment, and the job mints tokens with it while the run is live.
 */
export class RunService extends IssuerResource {
  private readonly mintAudit: AuditBatcher;

  constructor(
    ctx: ServiceContext,
    private readonly signingKeys: SigningKeyService,
    auditSink: AuditSink,
  ) {
    super(ctx);
    this.mintAudit = new AuditBatcher(auditSink);
  }

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
    options: { projectId?: string; environmentId?: string; status?: RunStatus; limit?: number },
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
      ...(options.environmentId ? { environmentId: options.environmentId } : {}),
      ...(options.status ? { status: options.status } : {}),
      limit: options.limit ?? 100,
    });
  }

  /**
   * The tokens minted for a run, newest first, from the audit log (`jti`, `audience`, `sub`, `exp` in
   * epoch seconds, `kid`; never the token). Every token is recorded before it is handed out.
   */
  async listRunTokens(actor: Actor, orgId: string, runId: string, limit = 100) {
    await this.getRun(actor, orgId, runId);
    const entries = await this.repo.listAudit({
      organizationId: orgId,
      target: runId,
      action: "token.mint",
      limit: Math.min(limit, 1000),
    });
    return entries.map((e) => ({ at: e.at, ...e.details }));
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
    input: ({ runId: string } | RunInput) & {
      audience?: string;
      lifetimeSeconds?: number;
      /** A `sub` template to preview instead of the saved ones (the console's live preview). */
      subTemplate?: string;
    },
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
    if (input.subTemplate !== undefined) {
      const settings = { ...ctx.organization.settings, subTemplate: input.subTemplate || null };
      ctx = {
        ...ctx,
        organization: { ...ctx.organization, settings },
        project: { ...ctx.project, subTemplate: null },
      };
    }
    const token = buildToken(ctx, this.tokenRequest(input), this.at(this.ids.timeOrderedUuid(this.clock())));
    const key = await this.signingKeys.current();
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
  ): Promise<{ value: string; token: BuiltToken; kid: string; alg: string; organization: string }> {
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
    const jti = this.ids.timeOrderedUuid(this.clock());
    const token = buildToken(ctx, this.tokenRequest(request), this.at(jti));
    const key = await this.signingKeys.current();
    if (!key)
      throw problem("no-signing-key", "no signing key is active; run `keyless keys rotate --immediate`");
    const signed = await this.signingKeys.sign(key, token.claims);
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
        // The token's own iat: the audit row's `at` is stamped after signing and can be a second later.
        iat: token.issuedAt,
        exp: token.expiresAt,
        kid: key.kid,
      },
    });
    return { value: signed.jwt, token, kid: key.kid, alg: key.alg, organization: found.organization.name };
  }
}
