import type { Migration } from "../../store/migration.js";

/** The AWS emulator's IAM state: OIDC providers, roles and their inline policies, per account. */
const migration0100Iam: Migration = {
  name: "0100_iam",
  async up(db) {
    await db.schema
      .createTable("iam_oidc_providers")
      .addColumn("account", "text", (c) => c.notNull())
      .addColumn("url", "text", (c) => c.notNull())
      .addColumn("client_ids", "text", (c) => c.notNull())
      .addColumn("thumbprints", "text", (c) => c.notNull())
      .addColumn("tags", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("iam_oidc_providers_pk", ["account", "url"])
      .execute();
    await db.schema
      .createTable("iam_roles")
      .addColumn("account", "text", (c) => c.notNull())
      .addColumn("role_key", "text", (c) => c.notNull())
      .addColumn("role_name", "text", (c) => c.notNull())
      .addColumn("role_id", "text", (c) => c.notNull().unique())
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("trust_policy", "text", (c) => c.notNull())
      .addColumn("description", "text")
      .addColumn("max_session_duration", "integer", (c) => c.notNull())
      .addColumn("tags", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("iam_roles_pk", ["account", "role_key"])
      .execute();
    await db.schema
      .createTable("iam_role_policies")
      .addColumn("account", "text", (c) => c.notNull())
      .addColumn("role_key", "text", (c) => c.notNull())
      .addColumn("policy_name", "text", (c) => c.notNull())
      .addColumn("document", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("iam_role_policies_pk", ["account", "role_key", "policy_name"])
      .execute();
  },
};

/**
 * Customer managed policies, their versions, attachments to roles, and roles' permissions boundaries.
 * Documents are kept as written so the policy engine can evaluate them (authorization reads them).
 */
const migration0101IamPolicies: Migration = {
  name: "0101_iam_policies",
  async up(db) {
    await db.schema.alterTable("iam_roles").addColumn("permissions_boundary", "text").execute();
    await db.schema
      .createTable("iam_policies")
      .addColumn("account", "text", (c) => c.notNull())
      .addColumn("policy_key", "text", (c) => c.notNull())
      .addColumn("policy_name", "text", (c) => c.notNull())
      .addColumn("policy_id", "text", (c) => c.notNull().unique())
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("description", "text")
      .addColumn("default_version", "text", (c) => c.notNull())
      .addColumn("next_version", "integer", (c) => c.notNull())
      .addColumn("tags", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("iam_policies_pk", ["account", "policy_key"])
      .execute();
    await db.schema
      .createTable("iam_policy_versions")
      .addColumn("account", "text", (c) => c.notNull())
      .addColumn("policy_key", "text", (c) => c.notNull())
      .addColumn("version_id", "text", (c) => c.notNull())
      .addColumn("document", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("iam_policy_versions_pk", ["account", "policy_key", "version_id"])
      .execute();
    await db.schema
      .createTable("iam_role_attachments")
      .addColumn("account", "text", (c) => c.notNull())
      .addColumn("role_key", "text", (c) => c.notNull())
      .addColumn("policy_arn", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("iam_role_attachments_pk", ["account", "role_key", "policy_arn"])
      .execute();
  },
};

/** The emulator's schema history, for `openDatabase` (names are recorded in existing databases: keep them). */
export const iamMigrations: readonly Migration[] = [migration0100Iam, migration0101IamPolicies];
