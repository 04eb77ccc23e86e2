import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { INIT_PLATFORMS } from "../../../src/analysis/init/index.js";
import { renderTemplate } from "../../../src/platforms/grammar.js";
import {
  type ClaimContext,
  DEAD_HOSTS,
  INIT_PLATFORM_IDS,
  iamScopedKeys,
  isPlatformId,
  PLATFORM_IDS,
  PLATFORMS,
  type Platform,
  PROFILE_NAMES,
  platformById,
  platformForIssuer,
  providerSpecificClaims,
} from "../../../src/platforms/index.js";
import { DETECTION_ORDER } from "../../../src/runner/token-sources.js";

const CTX: ClaimContext = {
  organization: { id: "org-id-1", name: "acme", settings: { profileOptions: {} } },
  project: { id: "project-id-1", name: "app" },
  environment: { id: "env-id-1", name: "production" },
  run: { id: "run-1", phase: "apply", deployer: "alice@example.com", attributes: { ref: "refs/heads/main" } },
};

/** The record's default subject, rendered: by the issuer's profile where there is one, else with each
 * placeholder's name as its value. */
function defaultSubject(p: Platform): string {
  const subject = p.subject!;
  if (!p.profile) return renderTemplate(subject.defaultTemplate, {}).replace(/\{([^}]+)\}/g, "$1");
  const values = Object.fromEntries(Object.entries(p.profile.variables(CTX)).map(([k, v]) => [k, v.value]));
  return renderTemplate(p.profile.defaultTemplate(CTX), values);
}

describe("platform registry", () => {
  test("each id is unique, and every id is in the literal union", () => {
    assert.equal(new Set(PLATFORM_IDS).size, PLATFORMS.length);
    for (const id of PLATFORM_IDS) {
      assert.ok(isPlatformId(id));
      assert.equal(platformById(id).id, id);
    }
    assert.ok(!isPlatformId("generic"));
    assert.ok(!isPlatformId("constructor"));
  });

  test("issuer lookup by host, with or without scheme, trailing slash, path and case", () => {
    const cases: [string, string | undefined][] = [
      ["token.actions.githubusercontent.com", "github"],
      ["https://token.actions.githubusercontent.com", "github"],
      ["https://token.actions.githubusercontent.com/", "github"],
      ["TOKEN.ACTIONS.GitHubUserContent.com", "github"],
      ["token.actions.githubusercontent.com/acme-enterprise", "github"],
      ["token.actions.acme.ghe.com", "github"],
      ["https://login.app.env0.com/", "env0"],
      ["login.app.env0.com", "env0"],
      ["app.terraform.io", "tfc"],
      ["https://acme.app.spacelift.io", "spacelift"],
      ["gitlab.com", "gitlab"],
      ["https://gitlab.com/", "gitlab"],
      ["agent.buildkite.com", "buildkite"],
      ["oidc.circleci.com/org/0d1ff71d-5a0b-4c1c-a7d0-4d6a6e2d0a27", "circleci"],
      ["oidc.eks.eu-west-1.amazonaws.com/id/ABC123", "kubernetes"],
      ["api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc", "bitbucket"],
      ["oidc.circleci.com", undefined],
      ["gitlab.example.com", undefined],
      ["app.spacelift.io.evil.example", undefined],
      ["id.example.com", undefined],
    ];
    for (const [issuer, id] of cases) assert.equal(platformForIssuer(issuer)?.id, id, issuer);
  });

  test("each record's default subject is read by its own sub grammar, and renders back unchanged", () => {
    for (const p of PLATFORMS.filter((p) => p.subject)) {
      const subject = defaultSubject(p);
      const layout = p.subject!.parse(subject);
      assert.ok(layout, `${p.id}: ${subject} is not read by its grammar`);
      const values = new Map<string, string>();
      for (const spec of layout.specs) {
        const written = layout.written.get(spec.name);
        assert.ok(
          written !== undefined && written !== "",
          `${p.id}: ${spec.name} is not read from ${subject}`,
        );
        values.set(spec.name, written);
      }
      assert.equal(layout.render(values), subject, p.id);
    }
  });

  test("the issuer profiles, init recipes and token sources are the records that have them", () => {
    assert.deepEqual(
      [...PROFILE_NAMES].sort(),
      PLATFORMS.filter((p) => p.profile)
        .map((p) => p.id)
        .sort(),
    );
    assert.deepEqual([...INIT_PLATFORMS], [...INIT_PLATFORM_IDS]);
    for (const id of INIT_PLATFORMS) assert.ok(platformById(id).init, id);
    assert.deepEqual(
      [...DETECTION_ORDER],
      PLATFORMS.filter((p) => p.tokenSource).map((p) => p.id),
    );
  });

  test("a profile's issuer URL is one its record claims", () => {
    for (const id of PROFILE_NAMES) {
      if (id === "keyless") continue; // the server's own URL
      const url = platformById(id).profile!.issuer(CTX.organization, "https://keyless.example.com");
      assert.equal(platformForIssuer(url)?.id, id, url);
    }
  });

  test("provider-specific keys follow the issuer's host: GitHub Enterprise paths and CircleCI org issuers count", () => {
    assert.ok(
      providerSpecificClaims("token.actions.githubusercontent.com/acme-enterprise").includes("repository_id"),
    );
    assert.deepEqual(providerSpecificClaims("oidc.circleci.com/org/0d1ff71d-5a0b-4c1c-a7d0-4d6a6e2d0a27"), [
      "oidc.circleci.com/project-id",
    ]);
    assert.deepEqual(providerSpecificClaims("login.app.env0.com/"), []);
    assert.deepEqual(providerSpecificClaims("https://gitlab.example.com"), []);
    assert.deepEqual(providerSpecificClaims("accounts.google.com"), ["google/organization_number"]);
  });

  test("IAM's identity-provider controls: the keys per shared host, exact provider key", () => {
    assert.deepEqual(iamScopedKeys("token.actions.githubusercontent.com"), ["sub", "job_workflow_ref"]);
    assert.deepEqual(iamScopedKeys("gitlab.com"), ["sub"]);
    assert.deepEqual(iamScopedKeys("api.pulumi.com/oidc"), ["aud"]);
    assert.equal(iamScopedKeys("login.app.env0.com/"), undefined);
    assert.equal(iamScopedKeys("gitlab.example.com"), undefined);
    assert.equal(
      DEAD_HOSTS.get("vstoken.actions.githubusercontent.com"),
      "token.actions.githubusercontent.com",
    );
  });

  test("env0's fixed session tags are the issuer's and lint's one list", () => {
    const env0 = platformById("env0");
    assert.equal(env0.sessionTags.mode, "always");
    assert.ok(env0.sessionTags.keys.includes("organizationId"));
    assert.ok(env0.sessionTags.keys.includes(env0.lint.tenantTag!));
    for (const tag of env0.lint.controlled?.tags ?? []) assert.ok(env0.sessionTags.keys.includes(tag));
  });
});

describe("platform layering", () => {
  const SRC = fileURLToPath(new URL("../../../../src/", import.meta.url));
  const importsOf = (path: string) =>
    [...readFileSync(path, "utf8").matchAll(/^(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)].map(
      (m) => m[1]!,
    );
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );

  test("src/platforms imports only itself, core, lib and node", () => {
    for (const file of filesUnder(join(SRC, "platforms")))
      for (const spec of importsOf(file))
        assert.ok(
          spec.startsWith("./") || spec.startsWith("node:") || /^\.\.\/(core|lib)\//.test(spec),
          `${file} imports ${spec}`,
        );
  });

  test("nothing in src/core imports src/platforms (the policy engine stays platform-free)", () => {
    for (const file of filesUnder(join(SRC, "core")))
      for (const spec of importsOf(file)) assert.ok(!spec.includes("platforms"), `${file} imports ${spec}`);
  });
});
