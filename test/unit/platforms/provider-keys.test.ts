import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { webIdentityRequest } from "../../../src/core/federation/index.js";
import {
  builtinProvider,
  PLATFORMS,
  providerConditionKeys,
  providerSpecificClaims,
  providerStandardKeys,
  STS_CONDITION_KEYS,
} from "../../../src/platforms/index.js";

/**
 * The provider-specific condition keys, key by key, as AWS lists them for AssumeRoleWithWebIdentity in
 * the Service Authorization Reference for STS: present for the provider AWS gives them for, absent for
 * every other (a self-managed GitLab, a claim that is not a key).
 */
const AWS_LIST: Record<string, readonly string[]> = {
  "token.actions.githubusercontent.com": [
    "actor",
    "actor_id",
    "enterprise_id",
    "environment",
    "job_workflow_ref",
    "ref",
    "repository",
    "repository_id",
    "repository_owner_id",
    "workflow",
  ],
  "gitlab.com": [
    "namespace_id",
    "pipeline_source",
    "project_id",
    "ref_protected",
    "runner_environment",
    "user_access_level",
    "user_email",
    "user_id",
    "user_login",
  ],
  "agent.buildkite.com": [
    "build_branch",
    "cluster_id",
    "cluster_name",
    "organization_id",
    "organization_slug",
    "pipeline_id",
    "pipeline_slug",
  ],
  "oidc.circleci.com/org/0d1ff71d-5a0b-4c1c-a7d0-4d6a6e2d0a27": ["oidc.circleci.com/project-id"],
  "accounts.google.com": ["google/organization_number"],
  "graph.facebook.com": ["app_id", "id"],
  "www.amazon.com": ["app_id", "user_id"],
};

/** Claims that look like keys but are not (third-party summaries listed some of them). */
const NOT_KEYS: Record<string, readonly string[]> = {
  "gitlab.com": ["project_path", "namespace_path", "ref", "ref_type", "job_id", "environment"],
  "token.actions.githubusercontent.com": ["repository_owner", "sha", "run_id", "event_name", "base_ref"],
  "oidc.circleci.com/org/0d1ff71d-5a0b-4c1c-a7d0-4d6a6e2d0a27": ["project-id", "vcs-origin"],
  "accounts.google.com": ["organization_number", "hd", "email_verified"],
};

describe("provider-specific condition keys (AWS's list, per platform record)", () => {
  for (const [provider, keys] of Object.entries(AWS_LIST)) {
    test(`${provider}: exactly AWS's keys`, () => {
      assert.deepEqual([...providerSpecificClaims(provider)].sort(), [...keys].sort());
      for (const absent of NOT_KEYS[provider] ?? [])
        assert.ok(!providerSpecificClaims(provider).includes(absent), absent);
    });
  }

  test("a self-managed GitLab, GHES-like hosts and generic issuers have none", () => {
    for (const provider of [
      "gitlab.example.com",
      "https://gitlab.example.com",
      "login.app.env0.com/",
      "app.terraform.io",
    ])
      assert.deepEqual(providerSpecificClaims(provider), [], provider);
  });

  test("GitHub's keys hold for an enterprise path and for GHE.com", () => {
    for (const provider of ["token.actions.githubusercontent.com/acme", "token.actions.acme.ghe.com"])
      assert.ok(providerSpecificClaims(provider).includes("repository_id"), provider);
  });

  test("every record cites AWS's list", () => {
    for (const p of PLATFORMS) assert.equal(p.providerKeys.source, STS_CONDITION_KEYS, p.id);
  });

  test("the engine's request holds each key when the token has the claim, and no other claim", () => {
    for (const [provider, keys] of Object.entries(AWS_LIST)) {
      const claims: Record<string, unknown> = { iss: `https://${provider}`, sub: "s", aud: "a" };
      for (const k of providerConditionKeys(provider)) {
        if (k.claim.length === 1) claims[k.claim[0]!] = `v-${k.key}`;
        else claims[k.claim[0]!] = { [k.claim[1]!]: `v-${k.key}` };
      }
      for (const other of NOT_KEYS[provider] ?? []) claims[other] = "present";
      const result = webIdentityRequest({
        claims,
        providerUrl: `https://${provider}`,
        roleSessionName: "s",
        now: 0,
        providerKeys: providerConditionKeys(provider),
      });
      assert.ok(result.ok);
      const context = result.request.context;
      for (const k of keys)
        assert.deepEqual(context.get(`${provider}:${k}`.toLowerCase()), [`v-${k}`], `${provider}:${k}`);
      for (const other of NOT_KEYS[provider] ?? []) {
        if (keys.includes(other) || other === "sub") continue;
        assert.equal(context.get(`${provider}:${other}`.toLowerCase()), undefined, `${provider}:${other}`);
      }
    }
  });
});

describe("AWS's built-in providers: the bare host is the principal, and only AWS's keys exist", () => {
  const request = (host: string, claims: Record<string, unknown>) => {
    const result = webIdentityRequest({
      claims: { iss: host, ...claims },
      providerUrl: host,
      builtin: true,
      roleSessionName: "s",
      now: 0,
      providerKeys: providerConditionKeys(host),
      standardKeys: providerStandardKeys(host),
    });
    assert.ok(result.ok);
    return result.request;
  };

  test("Google: the principal is accounts.google.com (iss with or without https://); aud, oaud, sub only", () => {
    for (const iss of ["accounts.google.com", "https://accounts.google.com"]) {
      const r = request(iss, {
        sub: "1",
        aud: "client",
        azp: "client",
        email: "a@b.c",
        google: { organization_number: 42 },
      });
      assert.equal(r.principal.id, "accounts.google.com");
      assert.deepEqual(r.context.get("accounts.google.com:sub"), ["1"]);
      assert.deepEqual(r.context.get("accounts.google.com:aud"), ["client"]);
      assert.deepEqual(r.context.get("accounts.google.com:google/organization_number"), ["42"]);
      assert.equal(r.context.get("accounts.google.com:email"), undefined);
      assert.equal(r.context.get("accounts.google.com:azp"), undefined);
    }
  });

  test("Cognito: amr is multivalued; Facebook and Login with Amazon have no aud or sub key", () => {
    const c = request("cognito-identity.amazonaws.com", {
      sub: "us-east-1:x",
      aud: "pool",
      amr: ["authenticated", "x"],
    });
    assert.deepEqual(c.context.get("cognito-identity.amazonaws.com:amr"), ["authenticated", "x"]);
    const f = request("graph.facebook.com", { sub: "1", aud: "a", app_id: "77", id: "5" });
    assert.deepEqual(f.context.get("graph.facebook.com:app_id"), ["77"]);
    assert.equal(f.context.get("graph.facebook.com:sub"), undefined);
    assert.equal(f.context.get("graph.facebook.com:aud"), undefined);
    assert.deepEqual(providerStandardKeys("www.amazon.com"), []);
    assert.deepEqual(providerStandardKeys("gitlab.com").length, 6);
  });

  test("the registry tells built-in providers from IAM OIDC providers", () => {
    for (const host of [
      "accounts.google.com",
      "cognito-identity.amazonaws.com",
      "graph.facebook.com",
      "www.amazon.com",
    ])
      assert.ok(builtinProvider(host), host);
    assert.equal(builtinProvider("https://token.actions.githubusercontent.com"), undefined);
    assert.equal(builtinProvider("www.amazon.com")?.issuer.builtin?.accessToken, true);
  });
});
