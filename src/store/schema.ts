/**
 * The whole database schema as Kysely sees it. Each component declares its own tables in its own file
 * (e.g. `aws/iam/tables.ts`, `issuer/tables.ts`) and they are joined here, so a query anywhere is
 * type-checked against the real columns on both SQLite and PostgreSQL.
 */
// biome-ignore lint/complexity/noBannedTypes: components extend this as they add their tables.
export type Schema = {};
