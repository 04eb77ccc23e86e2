import type { AuditSink } from "../audit-batcher.js";
import { type Actor, requireAdmin, requireOrgAdmin } from "../authz.js";
import { IssuerResource } from "./context.js";

/** The audit log: read by admins (all) and organization admins (their organization's entries). */
export class AuditService extends IssuerResource {
  /** Where a cluster's primary writes the mint records its workers hand over (see server/cluster-audit.ts). */
  get sink(): AuditSink {
    return this.repo;
  }

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
