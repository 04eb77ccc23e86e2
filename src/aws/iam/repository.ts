import type { Kysely } from "kysely";
import type { IamOidcProviderRow, IamRoleRow, IamTables } from "./tables.js";

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

export interface OidcProvider {
  readonly account: string;
  /** Without `https://`: the part that follows `oidc-provider/` in the ARN and prefixes condition keys. */
  readonly url: string;
  readonly clientIds: readonly string[];
  readonly thumbprints: readonly string[];
  readonly tags: readonly Tag[];
  readonly createdAt: string;
}

export interface Role {
  readonly account: string;
  readonly name: string;
  readonly id: string;
  readonly path: string;
  readonly trustPolicy: string;
  readonly description: string | undefined;
  readonly maxSessionDuration: number;
  readonly tags: readonly Tag[];
  readonly createdAt: string;
  /** ARN of the role's permissions boundary (a managed policy), if any. */
  readonly permissionsBoundary?: string | undefined;
}

/** Storage of the emulator's IAM entities. Names of roles are matched case-insensitively. */
export interface IamRepository {
  getProvider(account: string, url: string): Promise<OidcProvider | undefined>;
  listProviders(account: string): Promise<OidcProvider[]>;
  /** False when a provider with that URL already exists in the account. */
  insertProvider(provider: OidcProvider): Promise<boolean>;
  updateProvider(provider: OidcProvider): Promise<void>;
  deleteProvider(account: string, url: string): Promise<void>;

  getRole(account: string, name: string): Promise<Role | undefined>;
  listRoles(account: string): Promise<Role[]>;
  countRoles(account: string): Promise<number>;
  /** Every account that holds a role or an OIDC provider, sorted (the emulator's ListEmulatorAccounts). */
  listAccounts(): Promise<string[]>;
  /** False when a role with that name (in any case) already exists in the account. */
  insertRole(role: Role): Promise<boolean>;
  updateRole(role: Role): Promise<void>;
  deleteRole(account: string, name: string): Promise<void>;

  putRolePolicy(account: string, roleName: string, policyName: string, document: string): Promise<void>;
  getRolePolicy(account: string, roleName: string, policyName: string): Promise<string | undefined>;
  listRolePolicies(account: string, roleName: string): Promise<{ name: string; document: string }[]>;
  deleteRolePolicy(account: string, roleName: string, policyName: string): Promise<boolean>;
}

const key = (name: string) => name.toLowerCase();

const toProvider = (r: IamOidcProviderRow): OidcProvider => ({
  account: r.account,
  url: r.url,
  clientIds: JSON.parse(r.client_ids),
  thumbprints: JSON.parse(r.thumbprints),
  tags: JSON.parse(r.tags),
  createdAt: r.created_at,
});

const toRole = (r: IamRoleRow): Role => ({
  account: r.account,
  name: r.role_name,
  id: r.role_id,
  path: r.path,
  trustPolicy: r.trust_policy,
  description: r.description ?? undefined,
  maxSessionDuration: Number(r.max_session_duration),
  tags: JSON.parse(r.tags),
  createdAt: r.created_at,
  permissionsBoundary: r.permissions_boundary ?? undefined,
});

const roleRow = (role: Role): IamRoleRow => ({
  account: role.account,
  role_name: role.name,
  role_key: key(role.name),
  role_id: role.id,
  path: role.path,
  trust_policy: role.trustPolicy,
  description: role.description ?? null,
  max_session_duration: role.maxSessionDuration,
  tags: JSON.stringify(role.tags),
  created_at: role.createdAt,
  permissions_boundary: role.permissionsBoundary ?? null,
});

/** The Kysely implementation: one code path for SQLite and PostgreSQL. */
export class KyselyIamRepository implements IamRepository {
  constructor(private readonly db: Kysely<IamTables>) {}

  async getProvider(account: string, url: string) {
    const row = await this.db
      .selectFrom("iam_oidc_providers")
      .selectAll()
      .where("account", "=", account)
      .where("url", "=", url)
      .executeTakeFirst();
    return row && toProvider(row);
  }

  async listProviders(account: string) {
    const rows = await this.db
      .selectFrom("iam_oidc_providers")
      .selectAll()
      .where("account", "=", account)
      .orderBy("url")
      .execute();
    return rows.map(toProvider);
  }

  async insertProvider(p: OidcProvider) {
    return this.insertUnlessPresent(
      () =>
        this.db
          .insertInto("iam_oidc_providers")
          .values({
            account: p.account,
            url: p.url,
            client_ids: JSON.stringify(p.clientIds),
            thumbprints: JSON.stringify(p.thumbprints),
            tags: JSON.stringify(p.tags),
            created_at: p.createdAt,
          })
          .execute(),
      async () => (await this.getProvider(p.account, p.url)) !== undefined,
    );
  }

  async updateProvider(p: OidcProvider) {
    await this.db
      .updateTable("iam_oidc_providers")
      .set({
        client_ids: JSON.stringify(p.clientIds),
        thumbprints: JSON.stringify(p.thumbprints),
        tags: JSON.stringify(p.tags),
      })
      .where("account", "=", p.account)
      .where("url", "=", p.url)
      .execute();
  }

  async deleteProvider(account: string, url: string) {
    await this.db
      .deleteFrom("iam_oidc_providers")
      .where("account", "=", account)
      .where("url", "=", url)
      .execute();
  }

  async getRole(account: string, name: string) {
    const row = await this.db
      .selectFrom("iam_roles")
      .selectAll()
      .where("account", "=", account)
      .where("role_key", "=", key(name))
      .executeTakeFirst();
    return row && toRole(row);
  }

  async listRoles(account: string) {
    const rows = await this.db
      .selectFrom("iam_roles")
      .selectAll()
      .where("account", "=", account)
      .orderBy("role_key")
      .execute();
    return rows.map(toRole);
  }

  async listAccounts() {
    const rows = await this.db
      .selectFrom("iam_roles")
      .select("account")
      .union(this.db.selectFrom("iam_oidc_providers").select("account"))
      .execute();
    return [...new Set(rows.map((r) => r.account))].sort();
  }

  async countRoles(account: string) {
    const row = await this.db
      .selectFrom("iam_roles")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("account", "=", account)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertRole(role: Role) {
    return this.insertUnlessPresent(
      () => this.db.insertInto("iam_roles").values(roleRow(role)).execute(),
      async () => (await this.getRole(role.account, role.name)) !== undefined,
    );
  }

  async updateRole(role: Role) {
    const { account: _a, role_key: _k, role_id: _i, created_at: _c, ...changes } = roleRow(role);
    await this.db
      .updateTable("iam_roles")
      .set(changes)
      .where("account", "=", role.account)
      .where("role_key", "=", key(role.name))
      .execute();
  }

  async deleteRole(account: string, name: string) {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom("iam_role_attachments")
        .where("account", "=", account)
        .where("role_key", "=", key(name))
        .execute();
      await tx
        .deleteFrom("iam_role_policies")
        .where("account", "=", account)
        .where("role_key", "=", key(name))
        .execute();
      await tx
        .deleteFrom("iam_roles")
        .where("account", "=", account)
        .where("role_key", "=", key(name))
        .execute();
    });
  }

  async putRolePolicy(account: string, roleName: string, policyName: string, document: string) {
    await this.db
      .insertInto("iam_role_policies")
      .values({ account, role_key: key(roleName), policy_name: policyName, document })
      .onConflict((oc) => oc.columns(["account", "role_key", "policy_name"]).doUpdateSet({ document }))
      .execute();
  }

  async getRolePolicy(account: string, roleName: string, policyName: string) {
    const row = await this.db
      .selectFrom("iam_role_policies")
      .select("document")
      .where("account", "=", account)
      .where("role_key", "=", key(roleName))
      .where("policy_name", "=", policyName)
      .executeTakeFirst();
    return row?.document;
  }

  async listRolePolicies(account: string, roleName: string) {
    const rows = await this.db
      .selectFrom("iam_role_policies")
      .select(["policy_name", "document"])
      .where("account", "=", account)
      .where("role_key", "=", key(roleName))
      .orderBy("policy_name")
      .execute();
    return rows.map((r) => ({ name: r.policy_name, document: r.document }));
  }

  async deleteRolePolicy(account: string, roleName: string, policyName: string) {
    const result = await this.db
      .deleteFrom("iam_role_policies")
      .where("account", "=", account)
      .where("role_key", "=", key(roleName))
      .where("policy_name", "=", policyName)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Inserts, turning a primary-key conflict (a concurrent or earlier insert) into `false`. */
  private async insertUnlessPresent(
    insert: () => Promise<unknown>,
    exists: () => Promise<boolean>,
  ): Promise<boolean> {
    try {
      await insert();
      return true;
    } catch (error) {
      if (await exists()) return false;
      throw error;
    }
  }
}
