import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildToken, validateAttributes, validateSettings } from "../../../src/issuer/claims/build.js";
import type { ClaimContext } from "../../../src/issuer/claims/profiles.js";
import { buildTagsClaim, validateTagSettings } from "../../../src/issuer/claims/session-tags.js";
import { parseTemplate, renderSubject } from "../../../src/issuer/claims/subject.js";
import { IssuerProblem } from "../../../src/issuer/errors.js";
import type { OrganizationSettings, ProfileName } from "../../../src/issuer/model.js";
import { epochSeconds, manualClock } from "../../../src/lib/clock.js";

const clock = manualClock(Date.UTC(2026, 10, 22, 12));
const at = { nowSeconds: epochSeconds(clock), jti: "jti-1", serverIssuer: "https://id.example.com" };

function settings(over: Partial<OrganizationSettings> = {}): OrganizationSettings {
  return {
    profile: "keyless",
    issuerUrl: null,
    subTemplate: null,
    allowedAudiences: ["sts.amazonaws.com"],
    defaultAudience: null,
    defaultLifetimeSeconds: 900,
    maxLifetimeSeconds: 3600,
    runTimeoutSeconds: 3600,
    sessionTags: { enabled: false, keys: [], transitive: [] },
    profileOptions: {},
    ...over,
  };
}

function ctx(over: {
  settings?: Partial<OrganizationSettings>;
  profile?: ProfileName;
  org?: string;
  project?: string;
  env?: string;
  phase?: string;
  attributes?: Record<string, string>;
}): ClaimContext {
  return {
    organization: {
      id: "11111111-1111-4111-8111-111111111111",
      name: over.org ?? "acme",
      settings: settings({
        ...(over.profile ? { profile: over.profile, allowedAudiences: [] } : {}),
        ...over.settings,
      }),
      createdAt: 0,
    },
    project: {
      id: "22222222-2222-4222-8222-222222222222",
      organizationId: "o",
      name: over.project ?? "infra",
      subTemplate: null,
      createdAt: 0,
    },
    environment: {
      id: "33333333-3333-4333-8333-333333333333",
      organizationId: "o",
      projectId: "p",
      name: over.env ?? "prod",
      createdAt: 0,
    },
    run: {
      id: "44444444-4444-4444-8444-444444444444",
      organizationId: "o",
      projectId: "p",
      environmentId: "e",
      phase: over.phase ?? "apply",
      deployer: "alice@example.com",
      attributes: over.attributes ?? { ref: "refs/heads/main", commit: "abc123" },
      status: "running",
      createdAt: 0,
      expiresAt: 1,
      completedAt: null,
    },
  };
}

const problemType = (type: string) => (e: unknown) => e instanceof IssuerProblem && e.type === type;

describe("subject templates", () => {
  const known = ["organization", "project", "environment", "ref"];
  test("render names, immutable name@id forms, and refuse separators instead of mangling", () => {
    const vars = {
      organization: { value: "acme", id: "o1" },
      project: { value: "infra", id: "p1" },
      environment: { value: "prod" },
      ref: { value: "refs/heads/main" },
    };
    assert.equal(
      renderSubject(parseTemplate("org:{organization}:ref:{ref}", known), vars),
      "org:acme:ref:refs/heads/main",
    );
    assert.equal(
      renderSubject(parseTemplate("repo:{organization@id}/{project@id}", known), vars),
      "repo:acme@o1/infra@p1",
    );
    // `/` separates two placeholders in that segment: a project named "a/b" would be ambiguous.
    const t = parseTemplate("repo:{organization}/{project}:ref:{ref}", known);
    assert.throws(
      () => renderSubject(t, { ...vars, project: { value: "a/b" } }),
      problemType("ambiguous-subject"),
    );
    assert.throws(
      () => renderSubject(t, { ...vars, ref: { value: "x:y" } }),
      problemType("ambiguous-subject"),
    );
    assert.throws(() => renderSubject(t, { ...vars, ref: { value: "" } }), problemType("ambiguous-subject"));
    assert.throws(
      () =>
        renderSubject(parseTemplate("{organization@id}", known), { organization: { value: "a@b", id: "1" } }),
      problemType("ambiguous-subject"),
    );
  });
  test("bad templates are refused when saved", () => {
    for (const bad of [
      "",
      "org:{nope}",
      "org:{organization}{project}",
      "org:{organization}x{project}",
      "org:{organization",
      "a b",
    ]) {
      assert.throws(() => parseTemplate(bad, known), problemType("invalid-template"), bad);
    }
    assert.throws(() => parseTemplate("x".repeat(1001), known), problemType("invalid-template"));
  });
});

describe("claims", () => {
  test("keyless profile: standard claims, run attributes as claims, audience and lifetime", () => {
    const t = buildToken(ctx({}), {}, at);
    assert.deepEqual(t.claims, {
      ref: "refs/heads/main",
      commit: "abc123",
      organization: "acme",
      organization_id: "11111111-1111-4111-8111-111111111111",
      project: "infra",
      project_id: "22222222-2222-4222-8222-222222222222",
      environment: "prod",
      environment_id: "33333333-3333-4333-8333-333333333333",
      run_id: "44444444-4444-4444-8444-444444444444",
      phase: "apply",
      deployer: "alice@example.com",
      iss: "https://id.example.com",
      sub: "org:acme:project:infra:env:prod:phase:apply",
      aud: "sts.amazonaws.com",
      iat: at.nowSeconds,
      nbf: at.nowSeconds,
      exp: at.nowSeconds + 900,
      jti: "jti-1",
    });
    assert.equal(buildToken(ctx({}), { lifetimeSeconds: 3600 }, at).expiresAt, at.nowSeconds + 3600);
  });
  test("audience outside the allowed list, lifetime above the cap: refused with their problem types", () => {
    assert.throws(() => buildToken(ctx({}), { audience: "evil" }, at), problemType("unknown-audience"));
    assert.throws(
      () => buildToken(ctx({}), { lifetimeSeconds: 7200 }, at),
      (e: unknown) =>
        e instanceof IssuerProblem && e.detail === "Requested lifetime too high (requested: 7200 max: 3600)",
    );
    assert.throws(() => buildToken(ctx({}), { lifetimeSeconds: 10 }, at), problemType("bad-request"));
  });
  test("project template overrides the organization's; immutable variant", () => {
    const c = ctx({ settings: { subTemplate: "org:{organization@id}:env:{environment@id}" } });
    assert.equal(
      buildToken(c, {}, at).subject,
      "org:acme@11111111-1111-4111-8111-111111111111:env:prod@33333333-3333-4333-8333-333333333333",
    );
    const p = { ...c, project: { ...c.project, subTemplate: "p:{project}" } };
    assert.equal(buildToken(p, {}, at).subject, "p:infra");
  });
  test("a value with the separator is refused, not mangled", () => {
    assert.throws(() => buildToken(ctx({ env: "prod:eu" }), {}, at), problemType("ambiguous-subject"));
  });
  test("run attributes: reserved, namespaced, oversized and too many are refused", () => {
    assert.throws(() => validateAttributes({ sub: "x" }), problemType("invalid-claims"));
    assert.throws(() => validateAttributes({ project: "x" }), problemType("invalid-claims"));
    assert.throws(
      () => validateAttributes({ "https://aws.amazon.com/tags": "x" }),
      problemType("invalid-claims"),
    );
    assert.throws(() => validateAttributes({ aws_x: "x" }), problemType("invalid-claims"));
    assert.throws(() => validateAttributes({ big: "x".repeat(1025) }), problemType("invalid-claims"));
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, "v"]));
    assert.throws(() => validateAttributes(many), problemType("invalid-claims"));
    validateAttributes({ ref: "refs/heads/main", ticket: "OPS-1" });
  });
  test("settings: default lifetime above the cap, default audience outside the list, http issuer", () => {
    assert.throws(
      () => validateSettings(settings({ defaultLifetimeSeconds: 7200 })),
      problemType("bad-request"),
    );
    assert.throws(() => validateSettings(settings({ defaultAudience: "x" })), problemType("bad-request"));
    assert.throws(
      () => validateSettings(settings({ issuerUrl: "http://id.example.com" })),
      problemType("bad-request"),
    );
    validateSettings(settings({ issuerUrl: "https://id.example.com/org/acme" }));
  });
});

describe("AWS session tags", () => {
  test("opt-in: built from claims of the same name, with transitive keys", () => {
    const c = ctx({
      settings: { sessionTags: { enabled: true, keys: ["project", "environment"], transitive: ["project"] } },
    });
    assert.deepEqual(buildToken(c, {}, at).claims["https://aws.amazon.com/tags"], {
      principal_tags: { project: ["infra"], environment: ["prod"] },
      transitive_tag_keys: ["project"],
    });
    assert.equal(
      buildToken(ctx({}), {}, at).claims["https://aws.amazon.com/tags"],
      undefined,
      "off by default",
    );
  });
  test("AWS's limits: 50 tags, key 128, value 256, charset, aws: prefix, case-insensitive uniqueness", () => {
    const t =
      (keys: string[], transitive: string[] = []) =>
      () =>
        validateTagSettings({ enabled: true, keys, transitive });
    assert.throws(t(Array.from({ length: 51 }, (_, i) => `k${i}`)), problemType("invalid-session-tags"));
    validateTagSettings({
      enabled: true,
      keys: Array.from({ length: 50 }, (_, i) => `k${i}`),
      transitive: [],
    });
    assert.throws(t(["k".repeat(129)]), problemType("invalid-session-tags"));
    assert.throws(t(["aws:x"]), problemType("invalid-session-tags"));
    assert.throws(t(["AWS:x"]), problemType("invalid-session-tags"));
    assert.throws(t(["Project", "project"]), problemType("invalid-session-tags"));
    assert.throws(t(["a#b"]), problemType("invalid-session-tags"));
    assert.throws(t(["a"], ["b"]), problemType("invalid-session-tags"));
    assert.throws(
      () => buildTagsClaim(["v"], [], { v: "x".repeat(257) }),
      problemType("invalid-session-tags"),
    );
    assert.throws(() => buildTagsClaim(["v"], [], { v: "a#b" }), problemType("invalid-session-tags"));
    assert.deepEqual(buildTagsClaim(["v"], [], { v: "x".repeat(256) }), {
      principal_tags: { v: ["x".repeat(256)] },
    });
  });
});

describe("compatibility profiles", () => {
  test("env0: Auth0 issuer with trailing slash, org-wide auth0| subject, azp = client id, tags always", () => {
    const t = buildToken(ctx({ profile: "env0", phase: "apply", attributes: { env0Tag: "team-a" } }), {}, at);
    assert.equal(t.issuer, "https://login.app.env0.com/");
    assert.match(t.subject, /^auth0\|[0-9a-f]{24}$/);
    assert.equal(t.audience, "https://prod.env0.com");
    assert.equal(t.claims.azp, "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b");
    assert.equal(t.claims.deploymentType, "deploy");
    assert.equal(t.claims["https://env0.com/organizationId"], "11111111-1111-4111-8111-111111111111");
    assert.equal(t.claims.jti, undefined);
    assert.equal(t.expiresAt - t.issuedAt, 900, "the organization's default lifetime");
    assert.deepEqual(t.claims["https://aws.amazon.com/tags"], {
      principal_tags: {
        organizationId: ["11111111-1111-4111-8111-111111111111"],
        projectId: ["22222222-2222-4222-8222-222222222222"],
        templateId: ["33333333-3333-4333-8333-333333333333"],
        environmentId: ["33333333-3333-4333-8333-333333333333"],
        deployerEmail: ["alice@example.com"],
        deploymentType: ["deploy"],
        env0Tag: ["team-a"],
      },
    });
    const other = buildToken(ctx({ profile: "env0", project: "other", env: "dev" }), {}, at);
    assert.equal(other.subject, t.subject, "env0's subject is one per organization");
  });
  test("Spacelift: account issuer and audience, space:<space>:stack:<id>:run_type:…:scope:…", () => {
    const t = buildToken(
      ctx({ profile: "spacelift", org: "demo", project: "production", env: "vpc", phase: "plan" }),
      {},
      at,
    );
    assert.equal(t.issuer, "https://demo.app.spacelift.io");
    assert.equal(t.audience, "demo.app.spacelift.io");
    assert.equal(t.subject, "space:production:stack:vpc:run_type:PROPOSED:scope:read");
    assert.deepEqual(Object.keys(t.claims).sort(), [
      "aud",
      "callerId",
      "callerType",
      "exp",
      "iat",
      "iss",
      "jti",
      "nbf",
      "runId",
      "runType",
      "scope",
      "spaceId",
      "sub",
    ]);
  });
  test("HCP Terraform: organization:…:project:…:workspace:…:run_phase:<plan|apply>, aws.workload.identity", () => {
    const plan = buildToken(ctx({ profile: "tfc", phase: "plan" }), {}, at);
    assert.equal(plan.issuer, "https://app.terraform.io");
    assert.equal(plan.audience, "aws.workload.identity");
    assert.equal(plan.subject, "organization:acme:project:infra:workspace:prod:run_phase:plan");
    assert.equal(plan.claims.terraform_full_workspace, "organization:acme:project:infra:workspace:prod");
    assert.equal(
      buildToken(ctx({ profile: "tfc", phase: "apply" }), {}, at).claims.terraform_run_phase,
      "apply",
    );
  });
  test("GitHub: ref, environment and pull_request subjects, immutable form, 5-minute default", () => {
    const c = ctx({ profile: "github", settings: { maxLifetimeSeconds: 3600 } });
    const t = buildToken(c, {}, at);
    assert.equal(t.issuer, "https://token.actions.githubusercontent.com");
    assert.equal(t.audience, "https://github.com/acme");
    assert.equal(t.subject, "repo:acme/infra:ref:refs/heads/main");
    assert.equal(t.claims.repository, "acme/infra");
    assert.equal(t.expiresAt - t.issuedAt, 900, "the organization's default lifetime");
    const env = ctx({
      profile: "github",
      attributes: { ref: "refs/heads/main", deployment_environment: "production" },
    });
    assert.equal(buildToken(env, {}, at).subject, "repo:acme/infra:environment:production");
    const pr = ctx({ profile: "github", attributes: { ref: "refs/pull/1/merge", trigger: "pull_request" } });
    assert.equal(buildToken(pr, {}, at).subject, "repo:acme/infra:pull_request");
    const imm = ctx({
      profile: "github",
      settings: { profileOptions: { immutableSubject: "true" } },
      attributes: { ref: "refs/heads/main", repository_id: "42", repository_owner_id: "7" },
    });
    assert.equal(buildToken(imm, {}, at).subject, "repo:acme@7/infra@42:ref:refs/heads/main");
  });
  test("GitLab: project_path:<group>/<project>:ref_type:<type>:ref:<name>", () => {
    const t = buildToken(ctx({ profile: "gitlab", attributes: { ref: "refs/tags/v1.2" } }), {}, at);
    assert.equal(t.issuer, "https://gitlab.com");
    assert.equal(t.audience, "https://gitlab.com");
    assert.equal(t.subject, "project_path:acme/infra:ref_type:tag:ref:v1.2");
    assert.equal(t.claims.ref_path, "refs/tags/v1.2");
  });
});
