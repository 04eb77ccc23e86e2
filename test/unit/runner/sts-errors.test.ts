import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ExpiredTokenException,
  IDPCommunicationErrorException,
  IDPRejectedClaimException,
  InvalidIdentityTokenException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  STSServiceException,
} from "@aws-sdk/client-sts";
import { EXIT_STATUS, isKeylessError } from "../../../src/lib/errors.js";
import { StsError, stsError } from "../../../src/runner/sts.js";

// What the SDK throws, as the SDK's own classes: the runner recognises refusals by class, never by
// comparing names (InvalidIdentityToken arrives as InvalidIdentityTokenException).
const target = { region: "us-east-1", endpoint: "http://127.0.0.1:4566" };
const metadata = { httpStatusCode: 400, attempts: 1 };
const opts = (message: string) => ({ message, $metadata: metadata });

describe("STS errors by the SDK's exception classes", () => {
  const cases = [
    [new InvalidIdentityTokenException(opts("no provider")), "InvalidIdentityToken", "negative"],
    [new ExpiredTokenException(opts("expired")), "ExpiredTokenException", "negative"],
    [new IDPRejectedClaimException(opts("rejected")), "IDPRejectedClaim", "negative"],
    [new RegionDisabledException(opts("disabled")), "RegionDisabledException", "negative"],
    [new MalformedPolicyDocumentException(opts("bad policy")), "MalformedPolicyDocument", "input"],
    [new PackedPolicyTooLargeException(opts("too large")), "PackedPolicyTooLarge", "input"],
    [new IDPCommunicationErrorException(opts("no answer")), "IDPCommunicationError", "outside"],
  ] as const;
  for (const [error, awsCode, exitClass] of cases) {
    test(`${error.name}: ${awsCode}, exit ${EXIT_STATUS[exitClass]}`, () => {
      const e = stsError(error, target);
      assert.ok(e instanceof StsError && isKeylessError(e));
      assert.equal(e.awsCode, awsCode);
      assert.equal(e.exitClass, exitClass);
      assert.equal(e.cause, error);
    });
  }

  test("AccessDenied, which has no class in STS's model, is a refusal", () => {
    const error = new STSServiceException({
      name: "AccessDenied",
      $fault: "client",
      message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    const e = stsError(error, target);
    assert.equal(e.code, "ERR_STS_REFUSED");
    assert.equal(
      e.message,
      "STS refused: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
  });

  test("a 5xx is a failure outside keyless; a network error names the endpoint and the attempts", () => {
    const failure = new STSServiceException({
      name: "InternalFailure",
      $fault: "server",
      message: "oops",
      $metadata: { httpStatusCode: 500, attempts: 6 },
    });
    assert.equal(stsError(failure, target).exitClass, "outside");
    const network = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), {
      code: "ECONNREFUSED",
      $metadata: { attempts: 6 },
    });
    const e = stsError(network, target);
    assert.equal(e.exitClass, "outside");
    assert.equal(
      e.message,
      "cannot get credentials from STS at http://127.0.0.1:4566: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:4566 (after 6 attempts)",
    );
    assert.match(
      stsError(network, { region: "eu-west-1", endpoint: undefined }).message,
      /AWS endpoint of eu-west-1/,
    );
  });
});
