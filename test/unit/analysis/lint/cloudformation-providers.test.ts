import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readText } from "../../../../src/analysis/lint/inputs/index.js";
import { lintText, rules } from "./helpers.js";

/**
 * CloudFormation names the OIDC provider of a trust policy through the template itself: `!Ref` or
 * `!GetAtt .Arn` of an `AWS::IAM::OIDCProvider`, often under `!If` (AWS's GitHub sample creates the
 * provider unless a parameter passes one in). Lint reads the provider ARN these resolve to at deploy time,
 * as CloudFormation does, instead of refusing the template as a malformed Federated principal.
 */
const template = (federated: string, sub = "repo:${GitHubOrg}/${RepositoryName}:*") => `
Parameters:
  GitHubOrg: { Type: String, Default: octo-org }
  RepositoryName: { Type: String, Default: app }
  OIDCProviderArn: { Type: String, Default: "" }
Conditions:
  CreateOIDCProvider: !Equals [!Ref OIDCProviderArn, ""]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Action: sts:AssumeRoleWithWebIdentity
            Principal:
              Federated: ${federated}
            Condition:
              StringEquals:
                token.actions.githubusercontent.com:aud: sts.amazonaws.com
              StringLike:
                token.actions.githubusercontent.com:sub: !Sub ${sub}
  GithubOidc:
    Type: AWS::IAM::OIDCProvider
    Condition: CreateOIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
      ClientIdList: [sts.amazonaws.com]
`;

const federatedOf = (text: string) => {
  const [source] = readText("template.yaml", text, { strict: true });
  return (source!.policy as { Statement: { Principal: { Federated: unknown } }[] }).Statement[0]!.Principal
    .Federated;
};

describe("CloudFormation: the provider named through the template", () => {
  for (const federated of [
    "!Ref GithubOidc",
    "!GetAtt GithubOidc.Arn",
    "!Sub ${GithubOidc.Arn}",
    "!If [CreateOIDCProvider, !Ref GithubOidc, !Ref OIDCProviderArn]",
  ]) {
    it(`${federated} is the provider's ARN, and the policy is linted`, () => {
      const text = template(federated);
      assert.match(String(federatedOf(text)), /:oidc-provider\/token\.actions\.githubusercontent\.com$/);
      // AWS's sample admits every branch and pull request of the repository: linted, so it is flagged.
      assert.ok(rules(lintText(text, "template.yaml")).includes("OIDC-006"));
    });
  }
  it("an exact subject under the same provider has no exposure finding", () => {
    const found = rules(
      lintText(
        template("!Ref GithubOidc", "repo:${GitHubOrg}/${RepositoryName}:ref:refs/heads/main"),
        "template.yaml",
      ),
    );
    assert.ok(!found.includes("OIDC-006") && !found.includes("OIDC-105"), found.join(", "));
  });
});

describe("CloudFormation: a provider ARN passed in as a parameter without Default", () => {
  it("is the provider whose keys the conditions use, and the policy is linted", () => {
    const text = template("!Ref OIDCProviderArn").replace(
      'OIDCProviderArn: { Type: String, Default: "" }',
      "OIDCProviderArn: { Type: String }",
    );
    assert.match(
      String(federatedOf(text)),
      /^arn:aws:iam::[^:]+:oidc-provider\/token\.actions\.githubusercontent\.com$/,
    );
    assert.ok(rules(lintText(text, "template.yaml")).includes("OIDC-006"));
  });
  it("with keys of two hosts it stays unknown, and lint says the principal is not valid (exit 2)", () => {
    const text = template("!Ref OIDCProviderArn")
      .replace('OIDCProviderArn: { Type: String, Default: "" }', "OIDCProviderArn: { Type: String }")
      .replace("token.actions.githubusercontent.com:aud", "gitlab.com:aud");
    assert.throws(() => lintText(text, "template.yaml"), /Federated principals must be valid/);
  });
});
