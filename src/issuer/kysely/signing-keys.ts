import type { SigningKeyRecord } from "../model.js";
import type { SigningKeyRepository } from "../repository.js";
import { type IssuerDb, numOrNull, toSigningKey, unique } from "./rows.js";

/** Signing keys (private halves sealed by the KEK) on Kysely. */
export function signingKeyRows(db: IssuerDb): SigningKeyRepository {
  return {
    async insertSigningKey(k: SigningKeyRecord): Promise<void> {
      await unique(`signing key ${k.kid} already exists`, () =>
        db
          .insertInto("issuer_signing_keys")
          .values({
            kid: k.kid,
            alg: k.alg,
            public_jwk: JSON.stringify(k.publicJwk),
            private_key_sealed: k.privateKeySealed,
            created_at: k.createdAt,
            activate_at: k.activateAt,
            retired_at: k.retiredAt,
          })
          .execute(),
      );
    },
    async listSigningKeys(): Promise<SigningKeyRecord[]> {
      const rows = await db
        .selectFrom("issuer_signing_keys")
        .selectAll()
        .orderBy("created_at")
        .orderBy("kid")
        .execute();
      return rows.map(toSigningKey);
    },
    async listSigningKeysWithLastExpiry() {
      const rows = await db
        .selectFrom("issuer_signing_keys as k")
        .selectAll("k")
        .select((eb) =>
          eb
            .selectFrom("issuer_audit as a")
            .select((a) => a.fn.max("a.token_exp").as("m"))
            .whereRef("a.kid", "=", "k.kid")
            .as("last_token_exp"),
        )
        .orderBy("k.created_at")
        .orderBy("k.kid")
        .execute();
      return rows.map((r) => ({ key: toSigningKey(r), lastTokenExp: numOrNull(r.last_token_exp) }));
    },
    async retireSigningKey(kid: string, at: number): Promise<boolean> {
      const r = await db
        .updateTable("issuer_signing_keys")
        .set({ retired_at: at })
        .where("kid", "=", kid)
        .where("retired_at", "is", null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
