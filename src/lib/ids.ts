import { randomBytes, randomUUID } from "node:crypto";

/** Randomness is injected like time, so ids in tests can be predictable when a test needs that. */
export interface IdGenerator {
  uuid(): string;
  /** `n` random bytes. */
  bytes(n: number): Buffer;
}

export const cryptoIds: IdGenerator = {
  uuid: () => randomUUID(),
  bytes: (n) => randomBytes(n),
};

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Random characters from AWS's access-key alphabet (A–Z, 2–7). */
export function base32Chars(ids: IdGenerator, length: number): string {
  const bytes = ids.bytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += BASE32[bytes[i]! & 31];
  return out;
}
