import type { Kysely } from "kysely";
import type { Migration } from "../store/migration.js";

/**
 * The issuer's tables. Times are epoch milliseconds in `bigint` (PostgreSQL's `integer` is 32-bit; SQLite
 * stores either as a 64-bit integer). JSON documents are `text`.
 */
const issuer0200: Migration = {
  name: "0200_issuer",
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists.
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("issuer_organizations")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull().unique())
      .addColumn("settings", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("issuer_projects")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("organization_id", "text", (c) =>
        c.notNull().references("issuer_organizations.id").onDelete("cascade"),
      )
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("sub_template", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("issuer_projects_org_name", ["organization_id", "name"])
      .execute();
    await db.schema
      .createTable("issuer_environments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("organization_id", "text", (c) =>
        c.notNull().references("issuer_organizations.id").onDelete("cascade"),
      )
      .addColumn("project_id", "text", (c) =>
        c.notNull().references("issuer_projects.id").onDelete("cascade"),
      )
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("issuer_environments_project_name", ["project_id", "name"])
      .execute();
    await db.schema
      .createTable("issuer_runs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("organization_id", "text", (c) =>
        c.notNull().references("issuer_organizations.id").onDelete("cascade"),
      )
      .addColumn("project_id", "text", (c) =>
        c.notNull().references("issuer_projects.id").onDelete("cascade"),
      )
      .addColumn("environment_id", "text", (c) =>
        c.notNull().references("issuer_environments.id").onDelete("cascade"),
      )
      .addColumn("phase", "text", (c) => c.notNull())
      .addColumn("deployer", "text", (c) => c.notNull())
      .addColumn("attributes", "text", (c) => c.notNull())
      .addColumn("request_token_hash", "text", (c) => c.notNull().unique())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("completed_at", "bigint")
      .execute();
    await db.schema.createIndex("issuer_runs_org").on("issuer_runs").columns(["organization_id"]).execute();
    await db.schema
      .createTable("issuer_api_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("secret_hash", "text", (c) => c.notNull().unique())
      .addColumn("scope", "text", (c) => c.notNull())
      .addColumn("organization_id", "text", (c) =>
        c.references("issuer_organizations.id").onDelete("cascade"),
      )
      .addColumn("project_id", "text", (c) => c.references("issuer_projects.id").onDelete("cascade"))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("revoked_at", "bigint")
      .execute();
    await db.schema
      .createTable("issuer_signing_keys")
      .addColumn("kid", "text", (c) => c.primaryKey())
      .addColumn("alg", "text", (c) => c.notNull())
      .addColumn("public_jwk", "text", (c) => c.notNull())
      .addColumn("private_key_sealed", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("activate_at", "bigint", (c) => c.notNull())
      .addColumn("retired_at", "bigint")
      .execute();
    await db.schema
      .createTable("issuer_audit")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("organization_id", "text")
      .addColumn("target", "text")
      .addColumn("kid", "text")
      .addColumn("token_exp", "bigint")
      .addColumn("details", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("issuer_audit_at").on("issuer_audit").columns(["at"]).execute();
    await db.schema
      .createIndex("issuer_audit_kid")
      .on("issuer_audit")
      .columns(["kid", "token_exp"])
      .execute();
    await db.schema
      .createIndex("issuer_audit_org")
      .on("issuer_audit")
      .columns(["organization_id", "at"])
      .execute();
  },
};

/**
 * Web console sessions and one-time sign-in codes, shared by every process on the store (so a session
 * outlives a restart and works on every `--workers` process). Only hashes of the session id, its CSRF
 * token and the code are kept, with the API key's id (never the key): the console acts as that key's
 * actor, looked up (and refused once revoked) on every request.
 */
const issuer0201: Migration = {
  name: "0201_console_sessions",
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists.
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("issuer_console_sessions")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("csrf_hash", "text", (c) => c.notNull())
      .addColumn("api_key_id", "text", (c) =>
        c.notNull().references("issuer_api_keys.id").onDelete("cascade"),
      )
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("issuer_console_codes")
      .addColumn("code_hash", "text", (c) => c.primaryKey())
      .addColumn("api_key_id", "text", (c) =>
        c.notNull().references("issuer_api_keys.id").onDelete("cascade"),
      )
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
  },
};

/** The issuer's schema history, for `openDatabase` (names are recorded in existing databases: keep them). */
export const issuerMigrations: readonly Migration[] = [issuer0200, issuer0201];
