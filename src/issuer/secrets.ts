import { createHash } from "node:crypto";
import type { IdGenerator } from "../lib/ids.js";

/**
 * Bearer secrets (API keys, request tokens): 32 random bytes, shown once, stored only as a hash.
 *
 * Why plain SHA-256 and not bcrypt/scrypt/argon2: slow password hashes exist to make guessing a
 * low-entropy human password expensive. These secrets carry 256 bits of randomness, so an attacker holding
 * the hash cannot enumerate them whatever the hash speed; a fast hash keeps authentication cheap on every
 * request (the token endpoint is hot) and lets us look a secret up by its hash through a unique index
 * instead of comparing against every stored hash.
 */
export type SecretKind = "api" | "run";

const PREFIX: Record<SecretKind, string> = { api: "klk_", run: "klr_" };

export function newSecret(ids: IdGenerator, kind: SecretKind): string {
  return PREFIX[kind] + ids.bytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}
