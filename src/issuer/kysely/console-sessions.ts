import type { ConsoleSessionRecord, ConsoleSessionRepository } from "../repository.js";
import { type IssuerDb, num } from "./rows.js";

/** Web console sessions and one-time sign-in codes on Kysely (hashes only). */
export function consoleSessionRows(db: IssuerDb): ConsoleSessionRepository {
  return {
    async createConsoleSession(s: ConsoleSessionRecord): Promise<void> {
      // Expired rows go when a new session comes, so the tables stay as small as the live sessions.
      await db.deleteFrom("issuer_console_sessions").where("expires_at", "<=", s.createdAt).execute();
      await db.deleteFrom("issuer_console_codes").where("expires_at", "<=", s.createdAt).execute();
      await db
        .insertInto("issuer_console_sessions")
        .values({
          id_hash: s.idHash,
          csrf_hash: s.csrfHash,
          api_key_id: s.apiKeyId,
          created_at: s.createdAt,
          expires_at: s.expiresAt,
        })
        .execute();
    },
    async getConsoleSession(idHash: string): Promise<ConsoleSessionRecord | undefined> {
      const r = await db
        .selectFrom("issuer_console_sessions")
        .selectAll()
        .where("id_hash", "=", idHash)
        .executeTakeFirst();
      return (
        r && {
          idHash: r.id_hash,
          csrfHash: r.csrf_hash,
          apiKeyId: r.api_key_id,
          createdAt: num(r.created_at),
          expiresAt: num(r.expires_at),
        }
      );
    },
    async deleteConsoleSession(idHash: string): Promise<void> {
      await db.deleteFrom("issuer_console_sessions").where("id_hash", "=", idHash).execute();
    },
    async createConsoleCode(codeHash: string, apiKeyId: string, expiresAt: number): Promise<void> {
      await db
        .insertInto("issuer_console_codes")
        .values({ code_hash: codeHash, api_key_id: apiKeyId, expires_at: expiresAt })
        .execute();
    },
    async takeConsoleCode(codeHash: string) {
      // DELETE … RETURNING (SQLite 3.35+, PostgreSQL): of two concurrent redeemers only one gets the row.
      const r = await db
        .deleteFrom("issuer_console_codes")
        .where("code_hash", "=", codeHash)
        .returning(["api_key_id", "expires_at"])
        .executeTakeFirst();
      return r && { apiKeyId: r.api_key_id, expiresAt: num(r.expires_at) };
    },
  };
}
