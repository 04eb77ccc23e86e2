import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Finding } from "../../../../src/analysis/lint/findings.js";
import { lintText } from "./helpers.js";

const GH = "token.actions.githubusercontent.com";
const PROVIDER = `arn:aws:iam::444455556666:oidc-provider/${GH}`;
const statement = {
  Effect: "Allow",
  Principal: { Federated: PROVIDER },
  Action: "sts:AssumeRoleWithWebIdentity",
  Condition: {
    StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" },
    StringLike: { [`${GH}:sub`]: "repo:acme/*" },
  },
};
const clean = {
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::444455556666:role/deployer" },
  Action: "sts:AssumeRole",
};
const policy = { Version: "2012-10-17", Statement: [clean, statement] };

/** The text at a finding's line and column. */
function at(text: string, f: Finding | undefined): string {
  assert.ok(f?.line !== undefined && f.column !== undefined, JSON.stringify(f));
  return text.split("\n")[f.line - 1]!.slice(f.column - 1);
}
const find = (findings: Finding[], rule: string) => findings.find((f) => f.rule === rule);

describe("findings point at the real line and column (item 7)", () => {
  it("a JSON policy: the condition the finding is about, and the statement otherwise", () => {
    const text = JSON.stringify(policy, null, 2);
    const findings = lintText(text);
    assert.match(at(text, find(findings, "OIDC-005")), /^"repo:acme\/\*"/);
    const tenants = lintText(
      JSON.stringify({ ...policy, Statement: [clean, { ...statement, Condition: undefined }] }, null, 2),
    );
    const f = find(tenants, "OIDC-002")!;
    assert.equal(f.line, 11);
    assert.equal(f.column, 5);
  });

  it("a CloudFormation template in JSON and in YAML", () => {
    const template = {
      AWSTemplateFormatVersion: "2010-09-09",
      Resources: {
        Other: { Type: "AWS::S3::Bucket" },
        Deploy: { Type: "AWS::IAM::Role", Properties: { AssumeRolePolicyDocument: policy } },
      },
    };
    const json = JSON.stringify(template, null, 2);
    assert.match(at(json, find(lintText(json, "t.json"), "OIDC-005")), /^"repo:acme\/\*"/);
    const yaml = [
      'AWSTemplateFormatVersion: "2010-09-09"',
      "Resources:",
      "  Deploy:",
      "    Type: AWS::IAM::Role",
      "    Properties:",
      "      AssumeRolePolicyDocument:",
      "        Statement:",
      "          - Effect: Allow",
      "            Principal:",
      `              Federated: !Sub "arn:\${AWS::Partition}:iam::\${AWS::AccountId}:oidc-provider/${GH}"`,
      "            Action: sts:AssumeRoleWithWebIdentity",
      "            Condition:",
      "              StringEquals:",
      `                "${GH}:aud": sts.amazonaws.com`,
      "              StringLike:",
      `                "${GH}:sub": "repo:acme/*"`,
      "",
    ].join("\n");
    const f = find(lintText(yaml, "t.yaml"), "OIDC-005");
    assert.equal(f?.line, 16);
    assert.match(at(yaml, f), /^"repo:acme\/\*"/);
  });

  it("a Terraform plan: inside the escaped assume_role_policy string", () => {
    const plan = {
      format_version: "1.2",
      planned_values: {
        root_module: {
          resources: [
            {
              address: "aws_iam_role.deploy",
              mode: "managed",
              type: "aws_iam_role",
              values: { name: "deploy", assume_role_policy: JSON.stringify(policy) },
            },
          ],
        },
      },
    };
    const text = JSON.stringify(plan, null, 2);
    const f = find(lintText(text, "plan.json"), "OIDC-005");
    assert.match(at(text, f), /^\\"repo:acme\/\*\\"/);
  });

  it("get-role output", () => {
    const text = JSON.stringify({ Role: { RoleName: "deploy", AssumeRolePolicyDocument: policy } }, null, 2);
    assert.match(at(text, find(lintText(text, "role.json"), "OIDC-005")), /^"repo:acme\/\*"/);
  });
});
