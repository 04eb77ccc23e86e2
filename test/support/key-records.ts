import type { SigningKeyRecord } from "../../src/issuer/model.js";

/**
 * A signing-key row for lifecycle tests, with no key material: only the times matter to the state
 * machine. Times are epoch milliseconds; `retiredAt` null while the key is not retired.
 */
export const keyRecord = (
  kid: string,
  createdAt: number,
  activateAt: number,
  retiredAt: number | null = null,
): SigningKeyRecord => ({
  kid,
  alg: "RS256",
  publicJwk: {},
  privateKeySealed: "",
  createdAt,
  activateAt,
  retiredAt,
});
