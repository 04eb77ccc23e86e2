import { problem } from "./errors.js";
import type { ApiKey } from "./model.js";

/**
 * Who is asking. The CLI working on the data directory directly (`keyless keys …`) acts as the operator
 * of the machine and may do what an admin key may.
 */
export type Actor = { readonly kind: "key"; readonly key: ApiKey } | { readonly kind: "operator" };

export const OPERATOR: Actor = { kind: "operator" };

export function actorName(actor: Actor): string {
  return actor.kind === "operator" ? "operator" : `key:${actor.key.id}`;
}

const isAdmin = (a: Actor) => a.kind === "operator" || a.key.scope.kind === "admin";

export function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor)) throw problem("forbidden", "this needs an admin API key");
}

/** Admin, or organization admin of this organization. */
export function requireOrgAdmin(actor: Actor, organizationId: string): void {
  if (isAdmin(actor)) return;
  const s = (actor as { key: ApiKey }).key.scope;
  if (s.kind === "org_admin" && s.organizationId === organizationId) return;
  if (s.kind === "runner" && s.organizationId === organizationId) {
    throw problem("forbidden", "a runner API key may only create, read and complete runs of its project");
  }
  throw problem("forbidden", "this API key belongs to another organization");
}

/** Admin, organization admin, or the runner key of this very project. */
export function requireRunner(actor: Actor, organizationId: string, projectId: string): void {
  if (isAdmin(actor)) return;
  const s = (actor as { key: ApiKey }).key.scope;
  if (s.kind !== "admin" && s.organizationId !== organizationId) {
    throw problem("forbidden", "this API key belongs to another organization");
  }
  if (s.kind === "org_admin") return;
  if (s.kind === "runner" && s.projectId === projectId) return;
  throw problem("forbidden", "this runner API key belongs to another project");
}

/** May the actor see anything of this organization at all (list runs: runners see their project only)? */
export function requireMember(actor: Actor, organizationId: string): void {
  if (isAdmin(actor)) return;
  const s = (actor as { key: ApiKey }).key.scope;
  if (s.kind !== "admin" && s.organizationId === organizationId) return;
  throw problem("forbidden", "this API key belongs to another organization");
}
