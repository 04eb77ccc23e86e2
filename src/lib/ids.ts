import { randomBytes, randomUUID } from "node:crypto";

/** Randomness is injected like time, so ids in tests can be predictable when a test needs that. */
export interface IdGenerator {
  uuid(): string;
  /** `n` random bytes. */
  bytes(n: number): Buffer;
}

/**
 * Small random values come from a pooled 4 KiB draw of the CSPRNG (each byte handed out once, copied
 * out of the pool): the emulator takes several tiny ids per request, and one randomBytes call per id
 * showed up at ~8 % of its CPU profile. Large requests go straight to randomBytes.
 */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

function pooledBytes(n: number): Buffer {
  if (n > 256) return randomBytes(n);
  if (offset + n > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}

export const cryptoIds: IdGenerator = {
  uuid: () => randomUUID(),
  bytes: pooledBytes,
};

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Random characters from AWS's access-key alphabet (A–Z, 2–7). */
export function base32Chars(ids: IdGenerator, length: number): string {
  const bytes = ids.bytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += BASE32[bytes[i]! & 31];
  return out;
}
