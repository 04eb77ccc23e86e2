import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readText } from "../../../../src/analysis/lint/inputs/index.js";
import { lintSource } from "../../../../src/analysis/lint/lint.js";
import { analyseSubject } from "../../../../src/analysis/lint/subjects.js";
import { keylessSubject } from "../../../../src/platforms/index.js";
import { rules, trust } from "./helpers.js";

// The keyless issuer runs on the customer's own host: the linter learns the platform from --platform.
const HOST = "id.example.com";
const lint = (sub: string, operator = "StringEquals") =>
  rules(
    readText(
      "policy.json",
      trust(HOST, {
        StringEquals: {
          [`${HOST}:aud`]: "sts.amazonaws.com",
          ...(operator === "StringEquals" ? { [`${HOST}:sub`]: sub } : {}),
        },
        ...(operator === "StringEquals" ? {} : { [operator]: { [`${HOST}:sub`]: sub } }),
      }),
      { strict: true },
    ).flatMap((s) => lintSource(s, { platforms: { fallback: "keyless" } })),
  );

describe("keyless issuer subjects: org:{organization}:project:{project}:env:{environment}:phase:{phase}", () => {
  it("reads the issuer's default template field by field", () => {
    const sub = keylessSubject({
      organization: "acme",
      project: "core",
      environment: "prod",
      phase: "apply",
    });
    assert.equal(sub, "org:acme:project:core:env:prod:phase:apply");
    const analysis = analyseSubject("keyless", sub, false);
    assert.ok(analysis);
    assert.deepEqual(
      analysis.fields.map((f) => [f.name, f.value]),
      [
        ["org", "acme"],
        ["project", "core"],
        ["env", "prod"],
        ["phase", "apply"],
      ],
    );
    assert.equal(analysis.anchor, sub);
  });
  it("a fully pinned subject with aud is clean", () => {
    assert.deepEqual(lint("org:acme:project:core:env:prod:phase:apply"), []);
    assert.deepEqual(lint("org:acme:project:core:env:prod:phase:plan"), []);
  });
  it("a wildcard phase collapses plan and apply (OIDC-008, high)", () => {
    assert.deepEqual(lint("org:acme:project:core:env:prod:phase:*", "StringLike"), ["OIDC-008"]);
  });
  it("any environment of the project, any project of the organisation (OIDC-005)", () => {
    assert.ok(lint("org:acme:project:core:env:*", "StringLike").includes("OIDC-005"));
    assert.ok(lint("org:acme:project:*", "StringLike").includes("OIDC-005"));
  });
  it("a name with a glued wildcard (OIDC-007)", () => {
    assert.ok(lint("org:acme:project:core:env:prod*:phase:apply", "StringLike").includes("OIDC-007"));
  });
  it("everything the issuer signs (OIDC-003); another organisation of the server (OIDC-004)", () => {
    assert.ok(lint("org:*", "StringLike").includes("OIDC-003"));
    assert.ok(lint("org:acme*", "StringLike").includes("OIDC-004"));
  });
  it("the old `organization:…:environment:…` shape is no longer read as a keyless subject", () => {
    assert.equal(
      analyseSubject("keyless", "organization:acme:project:core:environment:prod:phase:apply", false),
      undefined,
    );
  });
});
