import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DisabledException,
  KMSInvalidStateException,
  KMSServiceException,
  NotFoundException,
} from "@aws-sdk/client-kms";
import { kmsProblem } from "../../../src/issuer/aws-kms.js";
import { IssuerProblem } from "../../../src/issuer/errors.js";
import { EXIT_STATUS } from "../../../src/lib/errors.js";
import { loadServeConfig } from "../../../src/server/config.js";

/**
 * KMS's refusals, as the SDK's own exception classes carry them, become the issuer's 503
 * `signer-unavailable` problem (exit 3 on the CLI) naming the operation, the key and KMS's error.
 */
describe("KMS failures as problems", () => {
  const meta = { $metadata: { httpStatusCode: 400 } };
  for (const [error, expect] of [
    [
      new KMSServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        message: "User is not authorized",
        ...meta,
      }),
      /AccessDeniedException: access denied: the issuer's role needs kms:Sign/,
    ],
    [
      new DisabledException({ message: "key is disabled", ...meta }),
      /DisabledException: the key is disabled/,
    ],
    [
      new KMSInvalidStateException({ message: "pending deletion", ...meta }),
      /KMSInvalidStateException: the key is not in a usable state/,
    ],
    [new NotFoundException({ message: "nope", ...meta }), /NotFoundException: no such key/],
    [
      // Not modelled by KMS's API: the SDK answers such errors with its service exception under KMS's name.
      new KMSServiceException({
        name: "ThrottlingException",
        $fault: "client",
        message: "Rate exceeded",
        ...meta,
      }),
      /ThrottlingException: throttled, after the SDK's retries/,
    ],
  ] as const) {
    test(error.name, () => {
      const p = kmsProblem("Sign", "arn:aws:kms:us-east-1:123456789012:key/k", error);
      assert.ok(p instanceof IssuerProblem);
      assert.equal(p.type, "signer-unavailable");
      assert.equal(p.status, 503);
      assert.equal(EXIT_STATUS[p.exitClass], 3);
      assert.match(p.detail, /^AWS KMS Sign for arn:aws:kms:us-east-1:123456789012:key\/k failed: /);
      assert.match(p.detail, expect);
      assert.equal(p.extra.kmsError, error.name);
    });
  }

  test("the SDK's refusals to send: no Region, no credentials", () => {
    const region = kmsProblem("Sign", "k", new Error("Region is missing"));
    assert.match(region.detail, /failed: no AWS Region: set AWS_REGION$/);
    const creds = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    assert.match(kmsProblem("Sign", "k", creds).detail, /failed: no AWS credentials/);
  });

  test("no answer at all (a network error) says KMS cannot be reached", () => {
    const error = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const p = kmsProblem("GetPublicKey", "alias/x", error);
    assert.match(p.detail, /AWS KMS cannot be reached \(ECONNREFUSED: connect ECONNREFUSED/);
  });
});

describe("KEYLESS_SIGNER configuration", () => {
  const env = { HOME: "/nonexistent" };
  test("local by default; aws-kms with an optional key list (comma-separated, trimmed)", () => {
    const c = loadServeConfig({ flags: {}, env });
    assert.equal(c.signer, "local");
    assert.equal(c.kmsKeyIds, undefined);
    const k = loadServeConfig({
      flags: {},
      env: {
        ...env,
        KEYLESS_SIGNER: "aws-kms",
        KEYLESS_KMS_KEY_IDS: " alias/a, arn:aws:kms:us-east-1:1:key/b ,,",
      },
    });
    assert.equal(k.signer, "aws-kms");
    assert.deepEqual(k.kmsKeyIds, ["alias/a", "arn:aws:kms:us-east-1:1:key/b"]);
  });
  test("an unknown signer, and a key list without aws-kms, are configuration errors", () => {
    assert.throws(
      () => loadServeConfig({ flags: {}, env: { ...env, KEYLESS_SIGNER: "vault" } }),
      /signer must be local or aws-kms, got "vault"/,
    );
    assert.throws(
      () => loadServeConfig({ flags: {}, env: { ...env, KEYLESS_KMS_KEY_IDS: "alias/a" } }),
      /KEYLESS_KMS_KEY_IDS needs KEYLESS_SIGNER=aws-kms/,
    );
  });
});
