import { type Actor, requireAdmin, requireOrgAdmin } from "../authz.js";
import { IssuerResource } from "./context.js";

/** The audit log: read by admins (all) and organization admins (their organization's entries). */
export class AuditService extends IssuerResource {
  async listAudit(
    actor: Actor,
    orgId: string | null,
    options: {
      limit?: number;
      before?: number;
      after?: number;
      action?: string;
      kind?: string;
      actor?: string;
      target?: string;
    },
  ) {
    if (orgId === null) requireAdmin(actor);
    else requireOrgAdmin(actor, orgId);
    return this.repo.listAudit({
      ...(orgId !== null ? { organizationId: orgId } : {}),
      ...(options.action ? { action: options.action } : {}),
      ...(options.kind ? { kind: options.kind } : {}),
      ...(options.actor ? { actor: options.actor } : {}),
      ...(options.target ? { target: options.target } : {}),
      ...(options.before !== undefined ? { before: options.before } : {}),
      ...(options.after !== undefined ? { after: options.after } : {}),
      limit: Math.min(options.limit ?? 100, 1000),
    });
  }
}
