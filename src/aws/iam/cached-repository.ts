import type { Clock } from "../../lib/clock.js";
import type { IamRepository, OidcProvider, Role } from "./repository.js";

/**
 * Read-through cache for the two look-ups on STS's hot path (the role, the provider), in front of the
 * store. Every AssumeRoleWithWebIdentity reads both; a profile of the emulator under load showed
 * Kysely + better-sqlite3 preparing those statements taking about a tenth of each request.
 *
 * Freshness: this process drops the cache on each of its own writes. Writes by other processes or
 * workers on the same SQLite file are seen through `changeCounter` (PRAGMA data_version, which moves
 * when another connection commits), checked at most every `checkEveryMs` (20 ms: the check itself
 * was 6 % of a worker's CPU when run on every read, and two separate client calls, such as an
 * `aws iam update-assume-role-policy` and the next `assume-role-with-web-identity`, are always
 * further apart than that). Without a counter (PostgreSQL), entries
 * live `ttlMs` (1 s): AWS documents IAM as eventually consistent, with changes taking seconds to reach
 * STS, so a second of staleness across hosts is within what AWS clients already tolerate.
 */
export class CachedIamRepository implements IamRepository {
  private roles = new Map<string, { at: number; value: Role | undefined }>();
  private providers = new Map<string, { at: number; value: OidcProvider | undefined }>();
  private seenVersion: number | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly inner: IamRepository,
    private readonly clock: Clock,
    private readonly changeCounter: (() => number) | undefined,
    private readonly ttlMs = 1_000,
    private readonly maxEntries = 10_000,
    private readonly checkEveryMs = 20,
  ) {}

  private fresh(at: number): boolean {
    return this.changeCounter !== undefined || this.clock() - at < this.ttlMs;
  }

  private sync(): void {
    if (!this.changeCounter) return;
    const now = this.clock();
    if (now - this.checkedAt < this.checkEveryMs) return;
    this.checkedAt = now;
    const version = this.changeCounter();
    if (version !== this.seenVersion) {
      this.seenVersion = version;
      this.invalidate();
    }
  }

  private invalidate(): void {
    this.roles.clear();
    this.providers.clear();
  }

  private async cached<T>(
    map: Map<string, { at: number; value: T }>,
    key: string,
    load: () => Promise<T>,
  ): Promise<T> {
    this.sync();
    const hit = map.get(key);
    if (hit && this.fresh(hit.at)) return hit.value;
    const value = await load();
    if (map.size >= this.maxEntries) map.clear();
    map.set(key, { at: this.clock(), value });
    return value;
  }

  private async write<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } finally {
      this.invalidate();
    }
  }

  getProvider(account: string, url: string) {
    return this.cached(this.providers, `${account}\u0000${url}`, () => this.inner.getProvider(account, url));
  }
  getRole(account: string, name: string) {
    return this.cached(this.roles, `${account}\u0000${name.toLowerCase()}`, () =>
      this.inner.getRole(account, name),
    );
  }

  listProviders(account: string) {
    return this.inner.listProviders(account);
  }
  listRoles(account: string) {
    return this.inner.listRoles(account);
  }
  countRoles(account: string) {
    return this.inner.countRoles(account);
  }
  listAccounts() {
    return this.inner.listAccounts();
  }
  getRolePolicy(account: string, roleName: string, policyName: string) {
    return this.inner.getRolePolicy(account, roleName, policyName);
  }
  listRolePolicies(account: string, roleName: string) {
    return this.inner.listRolePolicies(account, roleName);
  }

  insertProvider(provider: OidcProvider) {
    return this.write(() => this.inner.insertProvider(provider));
  }
  updateProvider(provider: OidcProvider) {
    return this.write(() => this.inner.updateProvider(provider));
  }
  deleteProvider(account: string, url: string) {
    return this.write(() => this.inner.deleteProvider(account, url));
  }
  insertRole(role: Role) {
    return this.write(() => this.inner.insertRole(role));
  }
  updateRole(role: Role) {
    return this.write(() => this.inner.updateRole(role));
  }
  deleteRole(account: string, name: string) {
    return this.write(() => this.inner.deleteRole(account, name));
  }
  putRolePolicy(account: string, roleName: string, policyName: string, document: string) {
    return this.write(() => this.inner.putRolePolicy(account, roleName, policyName, document));
  }
  deleteRolePolicy(account: string, roleName: string, policyName: string) {
    return this.write(() => this.inner.deleteRolePolicy(account, roleName, policyName));
  }
}
