import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkSharedIssuerControls } from "../../../../src/aws/iam/shared-issuers.js";
import { parsePolicy } from "../../../../src/core/policy/index.js";
import { GH, lintText, rules, trust } from "./helpers.js";

/**
 * IAM's identity-provider controls are decided once (src/platforms/identity-provider-controls.ts): the
 * emulator refuses at CreateRole exactly the trust policies lint reports as OIDC-109, operator by
 * operator, including the ones AWS's documentation is silent about (set-qualified, IfExists).
 */
function emulatorRefuses(text: string): boolean {
  try {
    checkSharedIssuerControls(parsePolicy(text, { kind: "trust" }));
    return false;
  } catch {
    return true;
  }
}

const AUD = { [`${GH}:aud`]: "sts.amazonaws.com" };
const SUB = "repo:contoso-dev/infra-live:ref:refs/heads/main";

const cases: [string, string, boolean][] = [
  ["StringEquals sub", trust(GH, { StringEquals: { ...AUD, [`${GH}:sub`]: SUB } }), false],
  [
    "StringLike sub",
    trust(GH, { StringEquals: AUD, StringLike: { [`${GH}:sub`]: "repo:contoso-dev/*" } }),
    false,
  ],
  [
    "StringEqualsIgnoreCase sub",
    trust(GH, { StringEquals: AUD, StringEqualsIgnoreCase: { [`${GH}:sub`]: SUB } }),
    false,
  ],
  [
    "job_workflow_ref instead of sub",
    trust(GH, {
      StringEquals: { ...AUD, [`${GH}:job_workflow_ref`]: "o/r/.github/workflows/d.yml@refs/heads/main" },
    }),
    false,
  ],
  [
    "repo:* passes the spelling check",
    trust(GH, { StringEquals: AUD, StringLike: { [`${GH}:sub`]: "repo:*" } }),
    false,
  ],
  ["no condition", trust(GH), true],
  ["aud only", trust(GH, { StringEquals: AUD }), true],
  ["sub is *", trust(GH, { StringEquals: AUD, StringLike: { [`${GH}:sub`]: "*" } }), true],
  [
    "ForAllValues:StringLike as the only sub condition (the field report)",
    trust(GH, { StringEquals: AUD, "ForAllValues:StringLike": { [`${GH}:sub`]: "repo:contoso-dev/*" } }),
    true,
  ],
  [
    "ForAnyValue:StringEquals sub",
    trust(GH, { StringEquals: AUD, "ForAnyValue:StringEquals": { [`${GH}:sub`]: SUB } }),
    true,
  ],
  [
    "StringLikeIfExists sub",
    trust(GH, { StringEquals: AUD, StringLikeIfExists: { [`${GH}:sub`]: SUB } }),
    true,
  ],
  [
    "StringNotEquals sub",
    trust(GH, { StringEquals: AUD, StringNotEquals: { [`${GH}:sub`]: "repo:evil/x" } }),
    true,
  ],
  ["repository_id only", trust(GH, { StringEquals: { ...AUD, [`${GH}:repository_id`]: "9876543" } }), true],
  [
    "gitlab.com without sub",
    trust("gitlab.com", { StringEquals: { "gitlab.com:aud": "https://gitlab.com" } }),
    true,
  ],
  [
    "a self-managed GitLab is not a shared provider",
    trust("gitlab.example.com", { StringEquals: { "gitlab.example.com:aud": "https://gitlab.example.com" } }),
    false,
  ],
];

describe("IAM's identity-provider controls: the emulator and lint decide alike", () => {
  for (const [name, text, refused] of cases) {
    it(`${name}: ${refused ? "refused" : "accepted"}`, () => {
      assert.equal(emulatorRefuses(text), refused, "emulator");
      assert.equal(rules(lintText(text)).includes("OIDC-109"), refused, `lint: ${rules(lintText(text))}`);
    });
  }

  it("Cognito identity pools must scope aud, with the bare host as the principal", () => {
    const cognito = (condition?: object) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: "cognito-identity.amazonaws.com" },
            Action: "sts:AssumeRoleWithWebIdentity",
            ...(condition ? { Condition: condition } : {}),
          },
        ],
      });
    const unscoped = cognito({
      "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" },
    });
    assert.equal(emulatorRefuses(unscoped), true);
    assert.ok(rules(lintText(unscoped)).includes("OIDC-109"));
    const scoped = cognito({
      StringEquals: {
        "cognito-identity.amazonaws.com:aud": "us-east-1:12345678-1234-1234-1234-123456789012",
      },
      "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" },
    });
    assert.equal(emulatorRefuses(scoped), false);
    assert.ok(!rules(lintText(scoped)).includes("OIDC-109"));
  });
});
