import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  assumedRoleArn,
  IAM_NAME,
  isIamName,
  isPartition,
  oidcProviderArn,
  PARTITIONS,
  parseUserArn,
  roleArn,
  rootArn,
  userArn,
} from "../../../src/core/aws/index.js";

/** ARN writers (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html): `aws` and `/` unless told. */
describe("ARN writers and identifier checks", () => {
  test("isPartition: the published partitions, nothing else", () => {
    for (const p of PARTITIONS) assert.equal(isPartition(p), true, p);
    assert.deepEqual(PARTITIONS.slice(0, 3), ["aws", "aws-cn", "aws-us-gov"]);
    for (const p of ["", "AWS", "aws-foo", "aws-cn ", "arn"]) assert.equal(isPartition(p), false, p);
  });

  test("roleArn and userArn: partition aws and path / by default, both kept when given", () => {
    assert.equal(
      roleArn({ account: "123456789012", name: "deploy" }),
      "arn:aws:iam::123456789012:role/deploy",
    );
    assert.equal(
      roleArn({ partition: "aws-us-gov", account: "123456789012", path: "/ci/", name: "deploy" }),
      "arn:aws-us-gov:iam::123456789012:role/ci/deploy",
    );
    assert.equal(userArn({ account: "123456789012", name: "alice" }), "arn:aws:iam::123456789012:user/alice");
    const user = userArn({ partition: "aws-cn", account: "123456789012", path: "/people/", name: "bob" });
    assert.equal(user, "arn:aws-cn:iam::123456789012:user/people/bob");
    assert.deepEqual(parseUserArn(user), {
      partition: "aws-cn",
      account: "123456789012",
      path: "/people/",
      name: "bob",
    });
  });

  test("rootArn, assumedRoleArn and oidcProviderArn default to the aws partition", () => {
    assert.equal(rootArn("123456789012"), "arn:aws:iam::123456789012:root");
    assert.equal(
      assumedRoleArn({ account: "123456789012", roleName: "deploy", sessionName: "run-1" }),
      "arn:aws:sts::123456789012:assumed-role/deploy/run-1",
    );
    assert.equal(
      oidcProviderArn("123456789012", "token.example.com/"),
      "arn:aws:iam::123456789012:oidc-provider/token.example.com/",
    );
  });

  test("IAM names: 1 to 64 of letters, digits and +=,.@_-, the whole string", () => {
    for (const name of ["a", "deploy", "a+b=c,d.e@f_g-h", "x".repeat(64)]) {
      assert.equal(isIamName(name), true, name);
      assert.equal(IAM_NAME.test(name), true, name);
    }
    for (const name of ["", "x".repeat(65), "a b", "a/b", "a:b", "é", "deploy\n"]) {
      assert.equal(isIamName(name), false, name);
    }
  });
});
