import type { ApiKey } from "../model.js";
import type { ApiKeyRepository } from "../repository.js";
import { type IssuerDb, toApiKey, unique } from "./rows.js";

/** API keys (stored as secret hashes) on Kysely. */
export function apiKeyRows(db: IssuerDb): ApiKeyRepository {
  return {
    async createApiKey(key: ApiKey, secretHash: string): Promise<void> {
      const s = key.scope;
      await unique("API key already exists", () =>
        db
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
    },
    async getApiKeyBySecretHash(hash: string): Promise<ApiKey | undefined> {
      const r = await db
        .selectFrom("issuer_api_keys")
        .selectAll()
        .where("secret_hash", "=", hash)
        .executeTakeFirst();
      return r && toApiKey(r);
    },
    async getApiKey(id: string): Promise<ApiKey | undefined> {
      const r = await db.selectFrom("issuer_api_keys").selectAll().where("id", "=", id).executeTakeFirst();
      return r && toApiKey(r);
    },
    async listApiKeys(organizationId: string | null): Promise<ApiKey[]> {
      let q = db.selectFrom("issuer_api_keys").selectAll();
      q =
        organizationId === null
          ? q.where("organization_id", "is", null)
          : q.where("organization_id", "=", organizationId);
      const rows = await q.orderBy("created_at").orderBy("id").execute();
      return rows.map(toApiKey);
    },
    async revokeApiKey(id: string, at: number): Promise<boolean> {
      const r = await db
        .updateTable("issuer_api_keys")
        .set({ revoked_at: at })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async countActiveAdminKeys(): Promise<number> {
      const r = await db
        .selectFrom("issuer_api_keys")
        .select((eb) => eb.fn.countAll<number | string>().as("n"))
        .where("scope", "=", "admin")
        .where("revoked_at", "is", null)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
