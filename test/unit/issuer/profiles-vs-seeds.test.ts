import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { decodeJwt } from "jose";
import { authorizeWebIdentity, webIdentityRequest } from "../../../src/core/federation/index.js";
import { parsePolicy } from "../../../src/core/policy/index.js";
import { OPERATOR } from "../../../src/issuer/authz.js";
import type { OrganizationInput } from "../../../src/issuer/service.js";
import { providerSpecificClaims } from "../../../src/platforms/index.js";
import { webIdentityTrust } from "../../support/aws.js";
import { queuedIds, type TestIssuer, testIssuer } from "../../support/issuer.js";

/**
 * Each compatibility profile against its platform's documented trust policy (the seeds', as reconstructed
 * in test/fixtures/lint/seeds, plus Spacelift's production-space and HCP Terraform's plan/apply roles),
 * evaluated by the project's policy engine on the request STS would build from our signed token.
 * The signature exchange through the emulator comes when the emulator is merged.
 */
const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/lint/seeds/${name}`, import.meta.url), "utf8");

const ACCOUNT = "444455556666";
const trust = (
  provider: string,
  conditions: Record<string, Record<string, string | string[]>>,
  actions: string[] = ["sts:AssumeRoleWithWebIdentity"],
) => JSON.stringify(webIdentityTrust(ACCOUNT, provider, conditions, actions));

describe("compatibility profiles against the seeds' trust policies", () => {
  let t: TestIssuer;
  const ids = queuedIds();
  before(async () => {
    t = await testIssuer({ ids });
  });
  after(() => t.close());

  /** An organization/project/environment, a run, its token through the token endpoint's code path. */
  async function tokenFor(
    org: OrganizationInput & { id?: string },
    project: { name: string; id?: string },
    env: string,
    run: { phase: string; attributes?: Record<string, string> },
    audience?: string,
  ): Promise<Record<string, unknown>> {
    const s = t.service;
    let o = (await s.tenancy.listOrganizations(OPERATOR)).find((x) => x.name === org.name);
    if (!o) {
      if (org.id) ids.queue.push(org.id);
      const { id: _id, ...input } = org;
      o = await s.tenancy.createOrganization(OPERATOR, input);
    }
    let p = (await s.tenancy.listProjects(OPERATOR, o.id)).find((x) => x.name === project.name);
    if (!p) {
      if (project.id) ids.queue.push(project.id);
      p = await s.tenancy.createProject(OPERATOR, o.id, { name: project.name });
    }
    let e = (await s.tenancy.listEnvironments(OPERATOR, o.id, p.id)).find((x) => x.name === env);
    if (!e) e = await s.tenancy.createEnvironment(OPERATOR, o.id, p.id, { name: env });
    const created = await s.runs.createRun(OPERATOR, o.id, {
      environmentId: e.id,
      phase: run.phase,
      deployer: "alice@example.com",
      ...(run.attributes ? { attributes: run.attributes } : {}),
    });
    const minted = await s.runs.mint(created.requestToken, created.run.id, audience ? { audience } : {});
    return decodeJwt(minted.value) as Record<string, unknown>;
  }

  const allowed = (policy: string, claims: Record<string, unknown>) => {
    const r = webIdentityRequest({
      claims,
      providerUrl: String(claims.iss),
      account: ACCOUNT,
      roleSessionName: "run",
      providerKeys: providerSpecificClaims(String(claims.iss)),
      now: t.clock(),
    });
    assert.ok(r.ok, JSON.stringify(r));
    return authorizeWebIdentity(parsePolicy(policy, { kind: "trust" }), r.request);
  };

  const env0Org = {
    name: "env0-acme",
    id: "66a38abf-69bc-4cb7-ad73-7f61e389079f",
    profile: "env0" as const,
    profileOptions: { subject: "632b8219674bde0224a96141" },
  };

  test("env0: sub + aud (azp) policy; session tags need sts:TagSession, which the seed grants", async () => {
    const claims = await tokenFor(
      env0Org,
      { name: "web", id: "1a433171-217e-4f58-9b4e-308d4d77902f" },
      "prod",
      { phase: "apply" },
    );
    assert.equal(claims.iss, "https://login.app.env0.com/");
    assert.equal(claims.sub, "auth0|632b8219674bde0224a96141");
    assert.equal(allowed(fixture("env0-sub.json"), claims), true);
    const withoutTagSession = fixture("env0-sub.json").replace(', "sts:TagSession"', "");
    assert.equal(
      allowed(withoutTagSession, claims),
      false,
      "tags in the token need sts:TagSession (env0's 2023 break)",
    );
  });

  test("env0: the organizationId/projectId tag gate admits the seed's project and refuses another with the same sub", async () => {
    const good = await tokenFor(
      env0Org,
      { name: "web", id: "1a433171-217e-4f58-9b4e-308d4d77902f" },
      "prod",
      { phase: "apply" },
    );
    assert.equal(allowed(fixture("env0-organization-gate.json"), good), true);
    const other = await tokenFor(env0Org, { name: "payments" }, "prod", { phase: "apply" });
    assert.equal(other.sub, good.sub, "env0's subject is organization-wide");
    assert.equal(allowed(fixture("env0-organization-gate.json"), other), false);
  });

  test("Spacelift: space:production:* admits the production space only; the stack policy its stack only", async () => {
    const spaceLike = trust("demo.app.spacelift.io", {
      StringEquals: { "demo.app.spacelift.io:aud": "demo.app.spacelift.io" },
      StringLike: { "demo.app.spacelift.io:sub": "space:production:*" },
    });
    const org = { name: "demo", profile: "spacelift" as const };
    const prod = await tokenFor(org, { name: "production" }, "oidc-is-awesome", { phase: "apply" });
    assert.equal(prod.iss, "https://demo.app.spacelift.io");
    assert.equal(prod.sub, "space:production:stack:oidc-is-awesome:run_type:TRACKED:scope:write");
    assert.equal(allowed(spaceLike, prod), true);
    const staging = await tokenFor(org, { name: "staging" }, "oidc-is-awesome", { phase: "apply" });
    assert.equal(allowed(spaceLike, staging), false);
    assert.equal(allowed(fixture("spacelift-stack.json"), staging), true);
    const otherStack = await tokenFor(org, { name: "production" }, "vpc", { phase: "apply" });
    assert.equal(allowed(fixture("spacelift-stack.json"), otherStack), false);
  });

  test("HCP Terraform: a plan run gets the plan role only, an apply run the apply role only", async () => {
    const role = (phase: string) =>
      trust("app.terraform.io", {
        StringEquals: { "app.terraform.io:aud": "aws.workload.identity" },
        StringLike: {
          "app.terraform.io:sub": `organization:acme-tfc:project:*:workspace:*:run_phase:${phase}`,
        },
      });
    const org = { name: "acme-tfc", profile: "tfc" as const };
    const plan = await tokenFor(org, { name: "Default Project" }, "networking", { phase: "plan" });
    assert.equal(
      plan.sub,
      "organization:acme-tfc:project:Default Project:workspace:networking:run_phase:plan",
    );
    const apply = await tokenFor(org, { name: "Default Project" }, "networking", { phase: "apply" });
    assert.equal(allowed(role("plan"), plan), true);
    assert.equal(allowed(role("apply"), plan), false);
    assert.equal(allowed(role("apply"), apply), true);
    assert.equal(allowed(role("plan"), apply), false);
  });

  test("GitHub: repo:organization/repo-name:ref:refs/heads/main admits main only, not a branch or an environment", async () => {
    const org = { name: "organization", profile: "github" as const, allowedAudiences: ["sts.amazonaws.com"] };
    const main = await tokenFor(org, { name: "repo-name" }, "ci", {
      phase: "apply",
      attributes: { ref: "refs/heads/main" },
    });
    assert.equal(main.iss, "https://token.actions.githubusercontent.com");
    assert.equal(main.aud, "sts.amazonaws.com");
    assert.equal(allowed(fixture("github-tooling.json"), main), true);
    const branch = await tokenFor(org, { name: "repo-name" }, "ci", {
      phase: "apply",
      attributes: { ref: "refs/heads/feature" },
    });
    assert.equal(allowed(fixture("github-tooling.json"), branch), false);
    const deployment = await tokenFor(org, { name: "repo-name" }, "ci", {
      phase: "apply",
      attributes: { ref: "refs/heads/main", deployment_environment: "production" },
    });
    assert.equal(deployment.sub, "repo:organization/repo-name:environment:production");
    assert.equal(allowed(fixture("github-tooling.json"), deployment), false);
  });
});
