import { isAccountId } from "../../core/aws/identifiers.js";
import type { IdGenerator } from "../../lib/ids.js";
import { base32Chars } from "../../lib/ids.js";
import { AwsError, MESSAGES } from "../wire/errors.js";
import type { ResolvedSecret } from "../wire/sigv4.js";
import type { Caller, RoleSession } from "./caller.js";
import type { SessionSealer } from "./session-token.js";

/** Default account of the static-credential convention (as in LocalStack and the AWS documentation). */
export const DEFAULT_ACCOUNT = "123456789012";
export const DEFAULT_STATIC_SECRET = "test";
/**
 * The access key id that stands for the emulator's default account (`--account`), as in LocalStack,
 * whose default credentials are `test`/`test` (https://docs.localstack.cloud/references/credentials/):
 * tools configured once for a local AWS work unchanged, and the account they land in is the one chosen.
 */
export const DEFAULT_ACCOUNT_ACCESS_KEY_ID = "test";

const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** `ASIA` + 16 characters of AWS's key alphabet (A–Z, 2–7): 20 in all, like AWS's temporary keys. */
export const newTemporaryAccessKeyId = (ids: IdGenerator): string => `ASIA${base32Chars(ids, 16)}`;

/** 40 characters of the base64 alphabet, AWS's secret-key shape. */
export function newSecretAccessKey(ids: IdGenerator): string {
  const bytes = ids.bytes(40);
  let out = "";
  for (let i = 0; i < 40; i++) out += SECRET_ALPHABET[bytes[i]! & 63];
  return out;
}

/**
 * Resolves the signing secret of a request:
 * - static convention: access key id = a 12-digit account id, secret = the configured static secret
 *   (`test` by default): the caller is that account's root; access key id `test` is the root of the
 *   default account (`defaultAccount`, 123456789012 unless set). Any other long-term key is refused
 *   with InvalidClientTokenId, as AWS refuses an unknown key;
 * - `ASIA…` keys: the session token must open under the emulator's key and name this access key id;
 *   otherwise InvalidClientTokenId. Expiry is enforced after the signature check (ExpiredToken).
 */
export function createSecretResolver(options: {
  sealer: SessionSealer;
  staticSecret: string;
  /** The account of access key id `test`; a 12-digit id. Default: DEFAULT_ACCOUNT. */
  defaultAccount?: string;
}): (accessKeyId: string, sessionToken: string | undefined) => ResolvedSecret<Caller> {
  return (accessKeyId, sessionToken) => {
    if (isAccountId(accessKeyId)) {
      return { secretAccessKey: options.staticSecret, principal: { kind: "root", account: accessKeyId } };
    }
    if (accessKeyId === DEFAULT_ACCOUNT_ACCESS_KEY_ID) {
      const account = options.defaultAccount ?? DEFAULT_ACCOUNT;
      return { secretAccessKey: options.staticSecret, principal: { kind: "root", account } };
    }
    if (accessKeyId.startsWith("ASIA") && sessionToken !== undefined) {
      const session: RoleSession | undefined = options.sealer.open(sessionToken);
      if (session && session.accessKeyId === accessKeyId) {
        return {
          secretAccessKey: session.secretAccessKey,
          principal: { kind: "session", session },
          expiresAtMs: session.expiresAt * 1000,
        };
      }
    }
    throw new AwsError("InvalidClientTokenId", MESSAGES.invalidClientTokenId);
  };
}
