import type { Kysely } from "kysely";

/**
 * One step of a component's schema history. Each component (the emulator's IAM, the issuer) owns its
 * tables and their migrations and hands them to `openDatabase`; the store knows none of them. Migrations
 * use Kysely's schema builder with portable types only (text, integer, bigint), so the same step runs on
 * SQLite and PostgreSQL. Append; never edit or rename a migration that has shipped: the name is what the
 * database records as done. Names sort in order across components (0100_iam, 0200_issuer, …).
 */
export interface Migration {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists.
  up(db: Kysely<any>): Promise<void>;
}
