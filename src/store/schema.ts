/**
 * The whole database schema as Kysely sees it. Each component declares its own tables in its own file
 * (e.g. `aws/iam/tables.ts`, `issuer/tables.ts`) and they are joined here, so a query anywhere is
 * type-checked against the real columns on both SQLite and PostgreSQL.
 */
import type { IamTables } from "../aws/iam/tables.js";
import type { IssuerTables } from "../issuer/tables.js";

export type Schema = IamTables & IssuerTables;
