import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  authorizeWebIdentity,
  explainWebIdentity,
  parseProviderArn,
  providerArn,
  providerKey,
  sessionTagsFromClaims,
  validateSessionTags,
  webIdentityRequest,
} from "../../../src/core/federation/index.js";
import { parsePolicy } from "../../../src/core/policy/index.js";
import { providerSpecificClaims } from "../../../src/platforms/index.js";

const NOW = Date.parse("2026-11-22T10:00:00Z");
const ENV0 = "https://login.app.env0.com/";

function build(claims: Record<string, unknown>, providerUrl = ENV0) {
  const result = webIdentityRequest({
    claims,
    providerUrl,
    account: "123456789012",
    roleSessionName: "run-1",
    providerKeys: providerSpecificClaims(providerUrl),
    now: NOW,
  });
  assert.ok(result.ok, JSON.stringify(result));
  return result.request;
}
const values = (request: ReturnType<typeof build>, key: string) => request.context.get(key.toLowerCase());

describe("provider URL ↔ ARN ↔ condition-key prefix (docs/aws-behaviour.md#oidc-provider-url, #condition-keys)", () => {
  test("the scheme is dropped; trailing slash, path and case are kept", () => {
    assert.equal(providerKey("https://login.app.env0.com/"), "login.app.env0.com/");
    assert.equal(
      providerKey("https://oidc.eks.us-east-1.amazonaws.com/id/ABC"),
      "oidc.eks.us-east-1.amazonaws.com/id/ABC",
    );
    assert.equal(providerKey("http://insecure.example"), undefined);
    assert.equal(
      providerArn("123456789012", ENV0),
      "arn:aws:iam::123456789012:oidc-provider/login.app.env0.com/",
    );
    assert.deepEqual(parseProviderArn("arn:aws:iam::123456789012:oidc-provider/login.app.env0.com/"), {
      partition: "aws",
      account: "123456789012",
      key: "login.app.env0.com/",
      url: ENV0,
    });
  });
});

describe("the AssumeRoleWithWebIdentity request context (docs/aws-behaviour.md#condition-keys)", () => {
  test("<P>:aud is azp when present, the token's aud values are <P>:oaud (env0's shape)", () => {
    const request = build({
      iss: ENV0,
      sub: "auth0|632b",
      aud: ["https://prod.env0.com", "https://login.app.env0.com/userinfo"],
      azp: "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b",
    });
    assert.deepEqual(values(request, "login.app.env0.com/:aud"), ["hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b"]);
    assert.deepEqual(values(request, "login.app.env0.com/:oaud"), [
      "https://prod.env0.com",
      "https://login.app.env0.com/userinfo",
    ]);
    assert.deepEqual(values(request, "login.app.env0.com/:azp"), ["hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b"]);
    assert.equal(request.audience, "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b");
  });

  test("without azp, <P>:aud is the aud (string or one-element array)", () => {
    const request = build(
      { sub: "repo:a/b:ref:refs/heads/main", aud: ["sts.amazonaws.com"], amr: "pwd" },
      "https://token.actions.githubusercontent.com",
    );
    assert.deepEqual(values(request, "token.actions.githubusercontent.com:aud"), ["sts.amazonaws.com"]);
    assert.deepEqual(values(request, "token.actions.githubusercontent.com:sub"), [
      "repo:a/b:ref:refs/heads/main",
    ]);
    assert.deepEqual(values(request, "token.actions.githubusercontent.com:amr"), ["pwd"]);
    assert.equal(request.audience, "sts.amazonaws.com");
  });

  test("session name, federated provider, principal and the global keys", () => {
    const request = build({ sub: "x", aud: "a" });
    assert.deepEqual(values(request, "sts:RoleSessionName"), ["run-1"]);
    assert.deepEqual(values(request, "aws:FederatedProvider"), [
      "arn:aws:iam::123456789012:oidc-provider/login.app.env0.com/",
    ]);
    assert.deepEqual(request.principal, {
      type: "Federated",
      id: "arn:aws:iam::123456789012:oidc-provider/login.app.env0.com/",
    });
    assert.deepEqual(values(request, "aws:CurrentTime"), ["2026-11-22T10:00:00Z"]);
    assert.deepEqual(values(request, "aws:EpochTime"), [String(NOW / 1000)]);
  });

  test("custom claims are not condition keys; numeric sub becomes text", () => {
    const request = build({ sub: 42, aud: "a", organizationId: "org-1", repository: "acme/app" });
    assert.equal(values(request, "login.app.env0.com/:organizationId"), undefined);
    assert.equal(values(request, "login.app.env0.com/:repository"), undefined);
    assert.deepEqual(values(request, "login.app.env0.com/:sub"), ["42"]);
  });

  test("GitHub's 2026 provider-specific keys exist for GitHub's issuer only", () => {
    const claims = {
      sub: "repo:a/b:ref:refs/heads/main",
      aud: "sts.amazonaws.com",
      repository: "a/b",
      job_workflow_ref: "a/b/.github/workflows/d.yml@refs/heads/main",
    };
    const github = build(claims, "https://token.actions.githubusercontent.com");
    assert.deepEqual(values(github, "token.actions.githubusercontent.com:repository"), ["a/b"]);
    assert.deepEqual(values(github, "token.actions.githubusercontent.com:job_workflow_ref"), [
      claims.job_workflow_ref,
    ]);
    const other = build(claims, "https://ci.example.com");
    assert.equal(values(other, "ci.example.com:repository"), undefined);
  });

  // The provider-specific keys per issuer host are the platform records' (test/unit/platforms/registry.test.ts).

  test("session tags become aws:RequestTag/*, aws:TagKeys, sts:TransitiveTagKeys, and require sts:TagSession", () => {
    const request = build({
      sub: "x",
      aud: "a",
      "https://aws.amazon.com/tags": {
        principal_tags: { organizationId: ["org-1"], projectId: ["p-1"] },
        transitive_tag_keys: ["organizationId"],
      },
    });
    assert.deepEqual(values(request, "aws:RequestTag/organizationId"), ["org-1"]);
    assert.deepEqual(values(request, "aws:TagKeys"), ["organizationId", "projectId"]);
    assert.deepEqual(values(request, "sts:TransitiveTagKeys"), ["organizationId"]);
    assert.deepEqual(request.actions, ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]);
  });

  test("a source identity claim requires sts:SetSourceIdentity and sets sts:SourceIdentity", () => {
    const request = build({ sub: "x", aud: "a", "https://aws.amazon.com/source_identity": "alice" });
    assert.deepEqual(request.actions, ["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"]);
    assert.deepEqual(values(request, "sts:SourceIdentity"), ["alice"]);
  });

  test("the roles claim sets sts:RoleAuthorizedByIdp", () => {
    const role = "arn:aws:iam::123456789012:role/deploy";
    const result = webIdentityRequest({
      claims: { sub: "x", aud: "a", "https://aws.amazon.com/roles": `${role}; arn:aws:iam::1:role/y` },
      providerUrl: ENV0,
      roleArn: role,
      roleSessionName: "s",
      now: NOW,
    });
    assert.ok(result.ok);
    assert.deepEqual(result.request.context.get("sts:roleauthorizedbyidp"), ["true"]);
  });
});

describe("session tags from the token (docs/aws-behaviour.md#session-tags)", () => {
  test("the flattened claim form is read too", () => {
    const result = sessionTagsFromClaims({
      "https://aws.amazon.com/tags/principal_tags/team": "red",
      "https://aws.amazon.com/tags/transitive_tag_keys": ["team"],
    });
    assert.deepEqual(result, {
      ok: true,
      tags: { tags: [{ key: "team", value: "red" }], transitiveKeys: ["team"] },
    });
  });

  test("AWS's limits: 50 tags, 128-character keys, 256-character values, case-insensitive duplicates, transitive ⊆ tags", () => {
    const many = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" }));
    assert.equal(validateSessionTags(many, [])?.code, "InvalidParameterValue");
    assert.equal(validateSessionTags(many.slice(0, 50), []), undefined);
    assert.ok(validateSessionTags([{ key: "k".repeat(129), value: "" }], []));
    assert.equal(validateSessionTags([{ key: "k".repeat(128), value: "v".repeat(256) }], []), undefined);
    assert.ok(validateSessionTags([{ key: "k", value: "v".repeat(257) }], []));
    assert.equal(
      validateSessionTags(
        [
          { key: "Team", value: "a" },
          { key: "team", value: "b" },
        ],
        [],
      )?.message,
      "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
    assert.equal(
      validateSessionTags([{ key: "a", value: "b" }], ["c"])?.message,
      "The specified transitive tag key must be included in the requested tags.",
    );
    assert.ok(validateSessionTags([{ key: "aws:x", value: "b" }], []));
    assert.ok(validateSessionTags([{ key: "bad*char", value: "b" }], []));
  });

  test("a tag with several values is refused (AWS supports single-valued session tags only)", () => {
    const result = sessionTagsFromClaims({
      "https://aws.amazon.com/tags": { principal_tags: { team: ["a", "b"] } },
    });
    assert.equal(result.ok, false);
  });
});

describe("authorization: every required action must be allowed (docs/aws-behaviour.md#condition-keys)", () => {
  const trust = (actions: string[]) =>
    parsePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/login.app.env0.com/" },
            Action: actions,
          },
        ],
      }),
      { kind: "trust" },
    );

  test("tags in the token without sts:TagSession in the trust policy → denied (env0's 2023 breaking change)", () => {
    const tagged = build({
      sub: "x",
      aud: "a",
      "https://aws.amazon.com/tags": { principal_tags: { organizationId: ["o"] } },
    });
    assert.equal(authorizeWebIdentity(trust(["sts:AssumeRoleWithWebIdentity"]), tagged), false);
    const explained = explainWebIdentity(trust(["sts:AssumeRoleWithWebIdentity"]), tagged);
    assert.equal(explained.decision, "deny");
    assert.deepEqual(
      explained.actions.map((a) => [a.action, a.evaluation.decision]),
      [
        ["sts:AssumeRoleWithWebIdentity", "allow"],
        ["sts:TagSession", "deny"],
      ],
    );
    assert.equal(
      authorizeWebIdentity(trust(["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]), tagged),
      true,
    );
  });
});
