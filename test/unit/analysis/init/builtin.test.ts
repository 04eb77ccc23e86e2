import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generate, INIT_FORMATS, InitError, type InitOptions } from "../../../../src/analysis/init/index.js";
import { authorizeWebIdentity, webIdentityRequest } from "../../../../src/core/federation/index.js";
import { parsePolicy } from "../../../../src/core/policy/index.js";
import { providerConditionKeys, providerStandardKeys } from "../../../../src/platforms/index.js";
import { FULL, TOOLING } from "./helpers.js";

/**
 * `keyless init aws` for AWS's built-in web identity providers (issue 10, item 4): no IAM OIDC provider
 * in any form, the trust names the bare host and uses the provider's own keys.
 */
const options = (platform: "google" | "cognito", scope = FULL[platform]): InitOptions => ({
  platform,
  scope,
  toolingAccount: TOOLING,
  workloadAccounts: [],
});
const HOST = { google: "accounts.google.com", cognito: "cognito-identity.amazonaws.com" } as const;
const POOL = FULL.cognito["identity-pool-id"]!;

/** Does the engine admit a token with these claims under the policy (as `explain` builds the request)? */
function admits(policy: object, host: string, claims: Record<string, unknown>): boolean {
  const built = webIdentityRequest({
    claims: { iss: `https://${host}`, ...claims },
    providerUrl: `https://${host}`,
    builtin: true,
    account: TOOLING,
    roleSessionName: "ci",
    providerKeys: providerConditionKeys(host),
    standardKeys: providerStandardKeys(host),
    now: Date.UTC(2026, 0, 1),
  });
  assert.ok(built.ok);
  return authorizeWebIdentity(parsePolicy(JSON.stringify(policy), { kind: "trust" }), built.request);
}

describe("keyless init aws for AWS's built-in providers", () => {
  for (const platform of ["google", "cognito"] as const) {
    it(`${platform}: no IAM OIDC provider in any format, and the principal is the bare host`, () => {
      for (const format of INIT_FORMATS) {
        const out = generate(options(platform), format, "test");
        const text = out.files.map((f) => f.text).join("\n");
        assert.doesNotMatch(text, /oidc-provider|OIDCProvider|open[-_]?id[-_]?connect[-_]provider/i, format);
        assert.match(
          text,
          new RegExp(`"?Federated"?:\\s*"?${HOST[platform].replaceAll(".", "\\.")}"?`),
          format,
        );
        assert.ok(!text.includes("DependsOn: Provider") && !text.includes('"DependsOn"'), format);
      }
      const plan = generate(options(platform), "json", "test").plan;
      assert.equal(plan.provider.builtin, true);
      assert.equal(plan.provider.arn, HOST[platform]);
      assert.deepEqual(plan.roles[0]!.trustPolicy.Statement[0]!.Principal, { Federated: HOST[platform] });
    });
  }

  it("google: aud (the client or service account id AWS reads from azp) and sub; the engine agrees", () => {
    const [s] = generate(options("google"), "json", "test").plan.roles[0]!.trustPolicy.Statement;
    assert.deepEqual(s!.Condition, {
      StringEquals: {
        "accounts.google.com:aud": FULL.google.audience,
        "accounts.google.com:sub": FULL.google.subject,
      },
    });
    const policy = generate(options("google"), "json", "test").plan.roles[0]!.trustPolicy;
    const sa = FULL.google.subject!;
    assert.ok(admits(policy, HOST.google, { aud: "https://example.com", azp: sa, sub: sa }));
    assert.ok(!admits(policy, HOST.google, { aud: "https://example.com", azp: sa, sub: "1" }), "another sub");
    assert.ok(!admits(policy, HOST.google, { aud: sa, azp: "other", sub: sa }), "another azp");
  });

  it("cognito: aud the pool id and ForAnyValue:StringLike amr authenticated; guests are refused", () => {
    const policy = generate(options("cognito"), "json", "test").plan.roles[0]!.trustPolicy;
    assert.deepEqual(policy.Statement[0]!.Condition, {
      StringEquals: { "cognito-identity.amazonaws.com:aud": POOL },
      "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" },
    });
    const id = "us-east-1:0f5a2c7e-1b2d-4c3e-8f9a-0b1c2d3e4f5a";
    assert.ok(admits(policy, HOST.cognito, { aud: POOL, sub: id, amr: ["authenticated", "cognito-idp"] }));
    assert.ok(!admits(policy, HOST.cognito, { aud: POOL, sub: id, amr: ["unauthenticated"] }), "guest");
    assert.ok(
      !admits(policy, HOST.cognito, {
        aud: "us-east-1:00000000-0000-0000-0000-000000000000",
        sub: id,
        amr: ["authenticated"],
      }),
      "another pool",
    );
  });

  it("bad scopes are refused with one line: a malformed pool id, google without sub", () => {
    assert.throws(
      () => generate(options("cognito", { "identity-pool-id": "12345" }), "json", "test"),
      (e: unknown) => e instanceof InitError && /identity-pool-id "12345"/.test(e.message),
    );
    assert.throws(
      () => generate(options("google", { audience: FULL.google.audience! }), "json", "test"),
      (e: unknown) => e instanceof InitError && /--subject/.test(e.message),
    );
  });
});
