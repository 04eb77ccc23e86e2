import type { Kysely } from "kysely";
import type { Tag } from "./repository.js";
import type { IamPolicyRow, IamTables } from "./tables.js";

/** A customer managed policy, without its documents (those are its versions). */
export interface ManagedPolicy {
  readonly account: string;
  readonly name: string;
  readonly id: string;
  /** `/` or `/a/b/`. */
  readonly path: string;
  readonly description: string | undefined;
  /** `v1`, `v2`, …: the version IAM evaluates. */
  readonly defaultVersion: string;
  /** Number of the next version id; IAM never reuses one. */
  readonly nextVersion: number;
  readonly tags: readonly Tag[];
  /** ISO 8601, seconds. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface PolicyVersion {
  readonly versionId: string;
  /** The JSON text as written. */
  readonly document: string;
  readonly createdAt: string;
}

/** Storage of managed policies, their versions and their attachments to roles. Names match case-insensitively. */
export interface PolicyRepository {
  getPolicy(account: string, name: string): Promise<ManagedPolicy | undefined>;
  listPolicies(account: string): Promise<ManagedPolicy[]>;
  /** False when a policy with that name (in any case) already exists in the account. */
  insertPolicy(policy: ManagedPolicy, first: PolicyVersion): Promise<boolean>;
  /** Writes the mutable fields: default version, next version number, tags, update time. */
  updatePolicy(policy: ManagedPolicy): Promise<void>;
  /** Deletes the policy and every version of it. */
  deletePolicy(account: string, name: string): Promise<void>;

  getVersion(account: string, name: string, versionId: string): Promise<PolicyVersion | undefined>;
  /** Oldest first. */
  listVersions(account: string, name: string): Promise<PolicyVersion[]>;
  insertVersion(account: string, name: string, version: PolicyVersion): Promise<void>;
  deleteVersion(account: string, name: string, versionId: string): Promise<void>;

  /** Idempotent. */
  attachToRole(account: string, roleName: string, policyArn: string): Promise<void>;
  /** False when the policy was not attached. */
  detachFromRole(account: string, roleName: string, policyArn: string): Promise<boolean>;
  /** Policy ARNs attached to the role, sorted. */
  attachedToRole(account: string, roleName: string): Promise<string[]>;
  /** Lower-cased names of the roles the policy is attached to, sorted. */
  rolesAttachedTo(account: string, policyArn: string): Promise<string[]>;
  /** Every attachment of the account (whole-account review, AttachmentCount). */
  attachments(account: string): Promise<{ roleKey: string; policyArn: string }[]>;
}

const key = (name: string) => name.toLowerCase();

const toPolicy = (r: IamPolicyRow): ManagedPolicy => ({
  account: r.account,
  name: r.policy_name,
  id: r.policy_id,
  path: r.path,
  description: r.description ?? undefined,
  defaultVersion: r.default_version,
  nextVersion: Number(r.next_version),
  tags: JSON.parse(r.tags),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toVersion = (r: { version_id: string; document: string; created_at: string }): PolicyVersion => ({
  versionId: r.version_id,
  document: r.document,
  createdAt: r.created_at,
});

/** Version ids sort by their number, not as text (`v10` after `v9`). */
const versionNumber = (id: string) => Number.parseInt(id.slice(1), 10);

/** The Kysely implementation: one code path for SQLite and PostgreSQL. */
export class KyselyPolicyRepository implements PolicyRepository {
  constructor(private readonly db: Kysely<IamTables>) {}

  async getPolicy(account: string, name: string) {
    const row = await this.db
      .selectFrom("iam_policies")
      .selectAll()
      .where("account", "=", account)
      .where("policy_key", "=", key(name))
      .executeTakeFirst();
    return row && toPolicy(row);
  }

  async listPolicies(account: string) {
    const rows = await this.db
      .selectFrom("iam_policies")
      .selectAll()
      .where("account", "=", account)
      .orderBy("policy_key")
      .execute();
    return rows.map(toPolicy);
  }

  async insertPolicy(p: ManagedPolicy, first: PolicyVersion) {
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .insertInto("iam_policies")
          .values({
            account: p.account,
            policy_key: key(p.name),
            policy_name: p.name,
            policy_id: p.id,
            path: p.path,
            description: p.description ?? null,
            default_version: p.defaultVersion,
            next_version: p.nextVersion,
            tags: JSON.stringify(p.tags),
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })
          .execute();
        await tx
          .insertInto("iam_policy_versions")
          .values({
            account: p.account,
            policy_key: key(p.name),
            version_id: first.versionId,
            document: first.document,
            created_at: first.createdAt,
          })
          .execute();
      });
      return true;
    } catch (error) {
      // A primary-key conflict (an earlier or concurrent create) is "already exists"; anything else is not.
      if ((await this.getPolicy(p.account, p.name)) !== undefined) return false;
      throw error;
    }
  }

  async updatePolicy(p: ManagedPolicy) {
    await this.db
      .updateTable("iam_policies")
      .set({
        default_version: p.defaultVersion,
        next_version: p.nextVersion,
        tags: JSON.stringify(p.tags),
        updated_at: p.updatedAt,
      })
      .where("account", "=", p.account)
      .where("policy_key", "=", key(p.name))
      .execute();
  }

  async deletePolicy(account: string, name: string) {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom("iam_policy_versions")
        .where("account", "=", account)
        .where("policy_key", "=", key(name))
        .execute();
      await tx
        .deleteFrom("iam_policies")
        .where("account", "=", account)
        .where("policy_key", "=", key(name))
        .execute();
    });
  }

  async getVersion(account: string, name: string, versionId: string) {
    const row = await this.db
      .selectFrom("iam_policy_versions")
      .select(["version_id", "document", "created_at"])
      .where("account", "=", account)
      .where("policy_key", "=", key(name))
      .where("version_id", "=", versionId)
      .executeTakeFirst();
    return row && toVersion(row);
  }

  async listVersions(account: string, name: string) {
    const rows = await this.db
      .selectFrom("iam_policy_versions")
      .select(["version_id", "document", "created_at"])
      .where("account", "=", account)
      .where("policy_key", "=", key(name))
      .execute();
    return rows.map(toVersion).sort((a, b) => versionNumber(a.versionId) - versionNumber(b.versionId));
  }

  async insertVersion(account: string, name: string, v: PolicyVersion) {
    await this.db
      .insertInto("iam_policy_versions")
      .values({
        account,
        policy_key: key(name),
        version_id: v.versionId,
        document: v.document,
        created_at: v.createdAt,
      })
      .execute();
  }

  async deleteVersion(account: string, name: string, versionId: string) {
    await this.db
      .deleteFrom("iam_policy_versions")
      .where("account", "=", account)
      .where("policy_key", "=", key(name))
      .where("version_id", "=", versionId)
      .execute();
  }

  async attachToRole(account: string, roleName: string, policyArn: string) {
    await this.db
      .insertInto("iam_role_attachments")
      .values({ account, role_key: key(roleName), policy_arn: policyArn })
      .onConflict((oc) => oc.columns(["account", "role_key", "policy_arn"]).doNothing())
      .execute();
  }

  async detachFromRole(account: string, roleName: string, policyArn: string) {
    const result = await this.db
      .deleteFrom("iam_role_attachments")
      .where("account", "=", account)
      .where("role_key", "=", key(roleName))
      .where("policy_arn", "=", policyArn)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async attachedToRole(account: string, roleName: string) {
    const rows = await this.db
      .selectFrom("iam_role_attachments")
      .select("policy_arn")
      .where("account", "=", account)
      .where("role_key", "=", key(roleName))
      .orderBy("policy_arn")
      .execute();
    return rows.map((r) => r.policy_arn);
  }

  async rolesAttachedTo(account: string, policyArn: string) {
    const rows = await this.db
      .selectFrom("iam_role_attachments")
      .select("role_key")
      .where("account", "=", account)
      .where("policy_arn", "=", policyArn)
      .orderBy("role_key")
      .execute();
    return rows.map((r) => r.role_key);
  }

  async attachments(account: string) {
    const rows = await this.db
      .selectFrom("iam_role_attachments")
      .select(["role_key", "policy_arn"])
      .where("account", "=", account)
      .orderBy("role_key")
      .orderBy("policy_arn")
      .execute();
    return rows.map((r) => ({ roleKey: r.role_key, policyArn: r.policy_arn }));
  }
}
