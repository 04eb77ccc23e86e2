import type { AuditEntry } from "../model.js";
import type { AuditFilter, AuditRepository } from "../repository.js";
import { type IssuerDb, toAudit } from "./rows.js";

/** The audit log on Kysely. */
export function auditRows(db: IssuerDb): AuditRepository {
  const appendAudits = async (entries: readonly AuditEntry[]): Promise<void> => {
    if (entries.length === 0) return;
    await db
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
  };
  return {
    appendAudit: (e: AuditEntry) => appendAudits([e]),
    appendAudits,
    async listAudit(filter: AuditFilter): Promise<AuditEntry[]> {
      let q = db.selectFrom("issuer_audit").selectAll();
      if (filter.organizationId) q = q.where("organization_id", "=", filter.organizationId);
      if (filter.action) q = q.where("action", "=", filter.action);
      if (filter.before !== undefined) q = q.where("at", "<", filter.before);
      if (filter.after !== undefined) q = q.where("at", ">", filter.after);
      if (filter.actor) q = q.where("actor", "=", filter.actor);
      if (filter.target) q = q.where("target", "=", filter.target);
      const kind = filter.kind;
      if (kind) q = q.where((eb) => eb.or([eb("action", "=", kind), eb("action", "like", `${kind}.%`)]));
      const rows = await q.orderBy("at", "desc").orderBy("id", "desc").limit(filter.limit).execute();
      return rows.map(toAudit);
    },
  };
}
