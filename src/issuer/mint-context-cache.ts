import type { Clock } from "../lib/clock.js";
import type { IssuerRepository, MintContext } from "./repository.js";

/**
 * A per-process cache of mint contexts (run + organization + project + environment, keyed by the request
 * token's hash) in front of the repository, for the token endpoint. Why: the context query was the
 * largest step of a mint (87 µs a call on the 2-core bench machine, against 57 µs for the ES256
 * signature; 14 % of a worker's profile; docs/performance.md).
 *
 * Freshness, on SQLite (the only store with a change counter; on PostgreSQL this returns the repository
 * itself, unchanged):
 * - nothing changed: `changeCounter` (PRAGMA data_version, https://www.sqlite.org/pragma.html#pragma_data_version)
 *   moves whenever another connection commits; this process's own writes go through this wrapper and
 *   drop every entry. A hit with an unchanged counter is as fresh as reading the database: any commit
 *   before the read of the counter moved it.
 * - something changed (another worker or process committed, e.g. the cluster primary writing mint
 *   records, which happens all the time under load): the run's status is read again (one indexed row by
 *   id) before every use, so a completed run's request token stops working at once, as documented;
 *   the organization, project and environment (settings, names, subject template) are reused for at most
 *   `tenancyTtlMs` (1 s) after they were read, then read again. So a settings change made through another
 *   worker applies to mints at most 1 s later; through the same worker, at once. Deleting an
 *   environment, project or organization deletes its runs, so the status read finds nothing: refused.
 * - unknown request tokens are never cached (every guess costs a query, as before).
 * The run's timeout is checked by the service against the clock on every mint, cached or not.
 */
const READ = /^(get|list|count)[A-Z]/;
const AUDIT_APPENDS = new Set(["appendAudit", "appendAudits"]);

export function withMintContextCache(
  inner: IssuerRepository,
  changeCounter: (() => number) | undefined,
  clock: Clock,
  options: { tenancyTtlMs?: number; maxEntries?: number } = {},
): IssuerRepository {
  if (!changeCounter) return inner;
  const tenancyTtlMs = options.tenancyTtlMs ?? 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  /**
   * `version`: the change counter when the whole context was read; `runVersion`: when its run was last
   * read (the same, or later after a status check within the TTL).
   */
  const entries = new Map<
    string,
    { context: MintContext; loadedAt: number; version: number; runVersion: number }
  >();
  /** Bumped by every write through this process, so a read begun before it is not cached after it. */
  let generation = 0;

  const write =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      generation++;
      entries.clear();
      try {
        return await operation(...args);
      } finally {
        generation++;
        entries.clear();
      }
    };

  const load = async (hash: string): Promise<MintContext | undefined> => {
    const seen = generation;
    const version = changeCounter();
    const context = await inner.getMintContext(hash);
    if (context && seen === generation) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(hash, { context, loadedAt: clock(), version, runVersion: version });
    }
    return context;
  };

  const getMintContext = async (hash: string): Promise<MintContext | undefined> => {
    const hit = entries.get(hash);
    if (!hit) return load(hash);
    const version = changeCounter();
    if (version === hit.version) return hit.context;
    const now = clock();
    if (now - hit.loadedAt >= tenancyTtlMs || now < hit.loadedAt) return load(hash);
    if (version === hit.runVersion) return hit.context;
    const seen = generation;
    const run = await inner.getRun(hit.context.run.id);
    if (!run) {
      entries.delete(hash);
      return undefined;
    }
    const context = { ...hit.context, run };
    if (seen === generation && entries.get(hash) === hit) {
      entries.set(hash, { ...hit, context, runVersion: version });
    }
    return context;
  };

  // Every method that is not a read (get…, list…, count…) counts as a write, so a write method added
  // later invalidates too. Audit appends are the exception: they only add audit rows, which no mint
  // context is read from, and on a single process every mint appends one.
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(inner)) {
    if (typeof value !== "function") continue;
    const method = (value as (...a: unknown[]) => Promise<unknown>).bind(inner);
    wrapped[name] = READ.test(name) || AUDIT_APPENDS.has(name) ? method : write(method);
  }
  return { ...(wrapped as unknown as IssuerRepository), getMintContext };
}
