import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import { errorKind } from "../../lib/errors.js";

/**
 * Reads a JWT's header and claims WITHOUT verifying its signature (jose's decoders). For display and for
 * explaining a trust policy; anything that grants access verifies with the issuer's keys instead.
 */
export interface DecodedToken {
  readonly header: ProtectedHeaderParameters;
  readonly claims: JWTPayload;
}

export class TokenDecodeError extends errorKind("ERR_TOKEN_DECODE", "input") {}

export function decodeToken(text: string): DecodedToken {
  const token = text.trim();
  if (token.split(".").length !== 3) {
    throw new TokenDecodeError("not a JWT: expected three base64url parts separated by dots");
  }
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch (error) {
    throw new TokenDecodeError(`not a JWT: ${error instanceof Error ? error.message : String(error)}`);
  }
}
