import type { Kysely } from "kysely";
import { migration0100Iam } from "./0100_iam.js";
import { issuer0200 } from "./0200_issuer.js";

/**
 * One migration history for both dialects. Migrations use Kysely's schema builder with portable types
 * only (text, integer, bigint), so the same file runs on SQLite and PostgreSQL. Append; never edit a
 * migration that has shipped. Names sort in order.
 */
export interface Migration {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists.
  up(db: Kysely<any>): Promise<void>;
}

export const migrations: readonly Migration[] = [migration0100Iam, issuer0200];
