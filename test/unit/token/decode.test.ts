import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeToken, TokenDecodeError } from "../../../src/core/token/decode.js";

/**
 * decodeToken reads a compact JWS's header and claims without verifying it (for explain and display):
 * three base64url parts separated by dots (https://www.rfc-editor.org/rfc/rfc7515#section-7.1,
 * https://www.rfc-editor.org/rfc/rfc7519#section-7.2).
 */
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const TOKEN = `${b64({ alg: "RS256", kid: "k1", typ: "JWT" })}.${b64({ iss: "https://idp.example.com", sub: "repo:a/b", aud: "sts.amazonaws.com" })}.c2ln`;

function refuses(text: string, message: string | RegExp) {
  assert.throws(
    () => decodeToken(text),
    (error: unknown) => {
      assert.ok(error instanceof TokenDecodeError, `expected TokenDecodeError, got ${error}`);
      assert.equal(error.code, "ERR_TOKEN_DECODE");
      // Bad input: the CLI exits 2.
      assert.equal(error.exitClass, "input");
      if (typeof message === "string") assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
    text,
  );
}

describe("decodeToken", () => {
  test("header and claims of a compact JWS, signature unchecked", () => {
    assert.deepEqual(decodeToken(TOKEN), {
      header: { alg: "RS256", kid: "k1", typ: "JWT" },
      claims: { iss: "https://idp.example.com", sub: "repo:a/b", aud: "sts.amazonaws.com" },
    });
  });

  test("surrounding whitespace (a token pasted from a file or a terminal) is ignored", () => {
    assert.deepEqual(decodeToken(`  ${TOKEN}\n`), decodeToken(TOKEN));
    assert.deepEqual(decodeToken(`\t${TOKEN}\r\n`).claims.sub, "repo:a/b");
  });

  test("not three parts: refused before decoding", () => {
    const parts = "not a JWT: expected three base64url parts separated by dots";
    refuses(TOKEN.split(".").slice(0, 2).join("."), parts);
    refuses(`${TOKEN}.more`, parts);
    refuses("", parts);
    refuses("abc", parts);
  });

  test("three parts that do not decode: the decoder's reason after 'not a JWT: '", () => {
    refuses(`${Buffer.from("not json").toString("base64url")}.${b64({ sub: "x" })}.c2ln`, /^not a JWT: .+/);
    refuses(`${b64({ alg: "RS256" })}.${Buffer.from("[1,2]").toString("base64url")}.c2ln`, /^not a JWT: .+/);
    refuses(
      `${b64({ alg: "RS256" })}.${b64({ sub: "x" })}`.replace(/$/, ".c2ln").replace(/^/, "!"),
      /^not a JWT: .+/,
    );
  });
});
