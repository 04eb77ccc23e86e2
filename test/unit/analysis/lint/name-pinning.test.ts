import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Finding } from "../../../../src/analysis/lint/findings.js";
import { GH, lintText, trust } from "./helpers.js";

/** Name-based pinning (OIDC-013) is one rule on every platform, worded from the platform's record. */
const pins = (findings: Finding[]) => findings.filter((f) => f.rule === "OIDC-013");
const TFC = "app.terraform.io";
const SPACELIFT = "acme.app.spacelift.io";

describe("OIDC-013: name-based pinning, one rule with per-platform wording (item 7)", () => {
  it("GitHub: a repository pinned by name gets the id keys AWS provides", () => {
    const [hit, ...more] = pins(
      lintText(
        trust(GH, {
          StringEquals: {
            [`${GH}:aud`]: "sts.amazonaws.com",
            [`${GH}:sub`]: "repo:acme/infra:ref:refs/heads/main",
          },
        }),
      ),
    );
    assert.equal(more.length, 0);
    assert.equal(hit!.severity, "medium");
    assert.match(hit!.message, /repository by name only/);
    assert.match(hit!.message, /repository_owner_id/);
  });

  it("GitHub: the immutable subject form is no name pin", () => {
    const f = lintText(
      trust(GH, {
        StringEquals: {
          [`${GH}:aud`]: "sts.amazonaws.com",
          [`${GH}:sub`]: "repo:acme@5550123/infra@9876543:ref:refs/heads/main",
        },
      }),
    );
    assert.deepEqual(pins(f), []);
  });

  it("HCP Terraform: a workspace pinned by name is info (nothing to add to the policy), says AWS has no id key and who to limit", () => {
    const f = lintText(
      trust(TFC, {
        StringEquals: {
          [`${TFC}:aud`]: "aws.workload.identity",
          [`${TFC}:sub`]: "organization:acme:project:core:workspace:prod:run_phase:apply",
        },
      }),
    );
    const [hit, ...more] = pins(f);
    assert.equal(more.length, 0, JSON.stringify(f));
    assert.equal(hit!.severity, "info");
    assert.match(hit!.message, /workspace by name only/);
    assert.match(hit!.message, /re-created under the same name/);
    assert.match(hit!.message, /no immutable-id condition key for provider app\.terraform\.io/);
    assert.match(hit!.message, /manage workspaces/);
    // Nothing to add to the policy: no key is advised and no fix is offered.
    assert.doesNotMatch(hit!.message, /terraform_workspace_id/);
    assert.equal(hit!.fix, undefined);
  });

  it("Spacelift: a stack pinned by slug is info (only the account's space admins can re-create it)", () => {
    const f = lintText(
      trust(SPACELIFT, {
        StringEquals: {
          [`${SPACELIFT}:aud`]: SPACELIFT,
          [`${SPACELIFT}:sub`]: "space_path:/root/production:stack:core-infra:run_type:TRACKED:scope:write",
        },
      }),
    );
    const [hit, ...more] = pins(f);
    assert.equal(more.length, 0, JSON.stringify(f));
    assert.equal(hit!.severity, "info");
    assert.match(hit!.message, /stack by its slug only/);
    assert.match(hit!.message, /space admins/);
    assert.equal(hit!.fix, undefined);
  });

  it("self-managed GitLab: the same rule, low, with the instance's wording and no advised key", () => {
    const host = "gitlab.example.com";
    const f = lintText(
      trust(host, {
        StringEquals: {
          [`${host}:aud`]: `https://${host}`,
          [`${host}:sub`]: "project_path:acme/infra:ref_type:branch:ref:main",
        },
      }),
    );
    const [hit] = pins(f);
    assert.ok(hit, JSON.stringify(f));
    assert.equal(hit.severity, "low");
    assert.match(hit.message, /who can create groups and projects on the instance/);
  });

  it("the platforms' wordings differ: each names its own kind of name", () => {
    const messages = [
      trust(TFC, {
        StringEquals: {
          [`${TFC}:aud`]: "aws.workload.identity",
          [`${TFC}:sub`]: "organization:a:project:b:workspace:c:run_phase:plan",
        },
      }),
      trust(SPACELIFT, {
        StringEquals: {
          [`${SPACELIFT}:aud`]: SPACELIFT,
          [`${SPACELIFT}:sub`]: "space_path:/root:stack:c:run_type:TRACKED:scope:write",
        },
      }),
    ].map((p) => pins(lintText(p))[0]?.message);
    assert.equal(new Set(messages).size, 2);
    assert.ok(messages.every((m) => m !== undefined));
  });
});
