import { type Actor, requireAdmin, requireOrgAdmin } from "../authz.js";
import { problem } from "../errors.js";
import type { ApiKey, ApiKeyScope } from "../model.js";
import { hashSecret, newSecret } from "../secrets.js";
import { checkName, IssuerResource, type ServiceContext } from "./context.js";
import type { TenancyService } from "./tenancy.js";

export interface CreatedApiKey {
  readonly key: ApiKey;
  /** Shown once. */
  readonly secret: string;
}

/**
 * API keys of the admin API (admin, organization admin, runner of one project): authentication of a
 * bearer secret, creation (the secret shown once, stored as a hash), listing and revocation.
 */
export class ApiKeyService extends IssuerResource {
  constructor(
    ctx: ServiceContext,
    private readonly tenancy: TenancyService,
  ) {
    super(ctx);
  }

  /** The actor of a bearer secret; 401 `unauthorized` when it is missing, unknown or revoked. */
  async authenticate(secret: string | undefined): Promise<Actor & { kind: "key" }> {
    if (!secret) throw problem("unauthorized", "an API key is required: Authorization: Bearer <key>");
    const key = await this.repo.getApiKeyBySecretHash(hashSecret(secret));
    if (!key || key.revokedAt !== null) throw problem("unauthorized", "the API key is not valid");
    return { kind: "key", key };
  }

  /**
   * The actor of a stored key named by its id (a console session keeps the id, not the secret); 401
   * `unauthorized` when the key is unknown or revoked.
   */
  async actorOfKey(keyId: string): Promise<Actor & { kind: "key" }> {
    const key = await this.repo.getApiKey(keyId);
    if (!key || key.revokedAt !== null) throw problem("unauthorized", "the API key is not valid");
    return { kind: "key", key };
  }

  /** A runner key's project may be named by its id or its name; the key stores the id. */
  async createApiKey(actor: Actor, input: { name: string; scope: ApiKeyScope }): Promise<CreatedApiKey> {
    let s = input.scope;
    if (s.kind === "admin") requireAdmin(actor);
    else requireOrgAdmin(actor, s.organizationId);
    if (s.kind !== "admin") await this.tenancy.getOrganization(actor, s.organizationId);
    if (s.kind === "runner") {
      s = { ...s, projectId: await this.tenancy.resolveProject(actor, s.organizationId, s.projectId) };
    }
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

  /** Revokes the key `keyRef` names: its id, or its name when exactly one live key here has it. */
  async revokeApiKey(actor: Actor, orgId: string | null, keyRef: string): Promise<void> {
    if (orgId === null) requireAdmin(actor);
    else requireOrgAdmin(actor, orgId);
    let keyId = keyRef;
    if (!(await this.repo.getApiKey(keyRef))) {
      const named = (await this.repo.listApiKeys(orgId)).filter((k) => k.name === keyRef && !k.revokedAt);
      if (named.length > 1)
        throw problem("conflict", `${named.length} API keys are named "${keyRef}": revoke one by its id`);
      if (named[0]) keyId = named[0].id;
    }
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
}
