import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Json, type TestIssuer, testIssuer } from "../../support/issuer.js";

/**
 * The admin API names organizations, projects and environments by id or by name (issue 12): a name
 * resolves to the same resource as its id, an unknown name is a 404 problem (never an empty list), and
 * a key of one organization learns nothing of another's names (403 whether or not it exists).
 */
describe("admin API: names wherever ids are accepted", () => {
  let t: TestIssuer;
  let acme: Json;
  let project: Json;
  let env: Json;
  let orgAdmin: string;
  let runner: string;
  let runId: string;
  before(async () => {
    t = await testIssuer();
    const admin = t.adminKey;
    acme = (await t.call("POST", "/api/v1/organizations", admin, { name: "acme" })).json;
    await t.call("POST", "/api/v1/organizations", admin, { name: "other" });
    project = (await t.call("POST", "/api/v1/organizations/acme/projects", admin, { name: "infra" })).json;
    await t.call("POST", "/api/v1/organizations/acme/projects", admin, { name: "web" });
    env = (
      await t.call("POST", "/api/v1/organizations/acme/projects/infra/environments", admin, { name: "prod" })
    ).json;
    assert.equal(env.projectId, project.id, "created through names, attached to the named project");
    orgAdmin = (
      await t.call("POST", "/api/v1/organizations/acme/api-keys", admin, {
        name: "ops",
        scope: { kind: "org_admin" },
      })
    ).json.secret;
    runner = (
      await t.call("POST", "/api/v1/organizations/acme/api-keys", admin, {
        name: "ci",
        scope: { kind: "runner", projectId: "infra" },
      })
    ).json.secret;
    const created = await t.call("POST", "/api/v1/organizations/acme/runs", runner, {
      environmentId: env.id,
      phase: "apply",
      deployer: "ci",
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    runId = created.json.run.id;
  });
  after(() => t.close());

  test("a name and an id give the same answer, for every key that may see it", async () => {
    for (const key of [t.adminKey, orgAdmin, runner]) {
      const byName = await t.call("GET", "/api/v1/organizations/acme/projects/infra/environments/prod", key);
      const byId = await t.call(
        "GET",
        `/api/v1/organizations/${acme.id}/projects/${project.id}/environments/${env.id}`,
        key,
      );
      assert.equal(byName.status, 200);
      assert.deepEqual(byName.json, byId.json);
      const runs = await t.call(
        "GET",
        "/api/v1/organizations/acme/runs?projectId=infra&environmentId=prod",
        key,
      );
      assert.deepEqual(
        runs.json.runs.map((r: Json) => r.id),
        [runId],
      );
    }
  });

  test("an unknown name is a 404 problem, never an empty list", async () => {
    for (const path of [
      "/api/v1/organizations/nope",
      "/api/v1/organizations/nope/runs",
      "/api/v1/organizations/nope/audit",
      "/api/v1/organizations/acme/projects/nope/environments",
      "/api/v1/organizations/acme/projects/infra/environments/nope",
      "/api/v1/organizations/acme/runs?projectId=nope",
      "/api/v1/organizations/00000000-0000-4000-8000-000000000000/runs",
    ]) {
      const r = await t.call("GET", path, t.adminKey);
      assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.json)}`);
      assert.match(r.type, /application\/problem\+json/);
      assert.match(r.json.detail, /nope|00000000/);
    }
  });

  test("a key of one organization gets 403 for another's name, existing or not (names do not leak)", async () => {
    for (const name of ["other", "nope"]) {
      const r = await t.call("GET", `/api/v1/organizations/${name}/runs`, orgAdmin);
      assert.equal(r.status, 403, name);
    }
  });

  test("a runner key cannot list another project's runs, named or not", async () => {
    const r = await t.call("GET", "/api/v1/organizations/acme/runs?projectId=web", runner);
    assert.equal(r.status, 403);
  });

  test("audit filters: kind, actor, after; a run's tokens are listed from the mint records", async () => {
    const runs = await t.call("GET", "/api/v1/organizations/acme/audit?kind=run", orgAdmin);
    assert.deepEqual(
      runs.json.entries.map((e: Json) => e.action),
      ["run.create"],
    );
    const none = await t.call(
      "GET",
      `/api/v1/organizations/acme/audit?after=${Date.UTC(2030, 0, 1)}`,
      orgAdmin,
    );
    assert.deepEqual(none.json.entries, []);
    const iso = await t.call(
      "GET",
      "/api/v1/organizations/acme/audit?after=2020-01-01T00:00:00Z&kind=project",
      orgAdmin,
    );
    assert.equal(iso.json.entries.length, 2);
    const byActor = await t.call("GET", `/api/v1/audit?actor=operator`, t.adminKey);
    assert.ok(byActor.json.entries.every((e: Json) => e.actor === "operator"));
    const tokens = await t.call("GET", `/api/v1/organizations/acme/runs/${runId}/tokens`, runner);
    assert.equal(tokens.status, 200);
    assert.deepEqual(tokens.json.tokens, []);
  });

  test("an API key is revoked by its name", async () => {
    const created = await t.call("POST", "/api/v1/organizations/acme/api-keys", t.adminKey, {
      name: "temp",
      scope: { kind: "org_admin" },
    });
    assert.equal((await t.call("DELETE", "/api/v1/organizations/acme/api-keys/temp", orgAdmin)).status, 204);
    assert.equal((await t.call("GET", "/api/v1/organizations/acme", created.json.secret)).status, 401);
  });
});

describe("audiences per compatibility profile", () => {
  let t: TestIssuer;
  before(async () => {
    t = await testIssuer();
  });
  after(() => t.close());

  /** An organization with `profile`, a project and an environment, and a run's preview for `audience`. */
  async function preview(profile: string, audience: string, attributes: Record<string, string>) {
    const name = `org-${profile}`;
    await t.call("POST", "/api/v1/organizations", t.adminKey, { name, profile });
    await t.call("POST", `/api/v1/organizations/${name}/projects`, t.adminKey, { name: "infra" });
    const env = (
      await t.call("POST", `/api/v1/organizations/${name}/projects/infra/environments`, t.adminKey, {
        name: "prod",
      })
    ).json;
    return t.call("POST", `/api/v1/organizations/${name}/claims/preview`, t.adminKey, {
      environmentId: env.id,
      phase: "apply",
      deployer: "x",
      attributes,
      audience,
    });
  }

  test("each profile allows the audience its platform's tools ask for by default", async () => {
    const github = await preview("github", "sts.amazonaws.com", {
      ref: "refs/heads/main",
      repository_owner_id: "1",
    });
    assert.equal(github.status, 200, JSON.stringify(github.json));
    assert.equal(github.json.claims.aud, "sts.amazonaws.com");
    assert.ok(
      github.json.allowedAudiences.includes("https://github.com/org-github"),
      "GitHub's own default stays",
    );
    const tfc = await preview("tfc", "aws.workload.identity", {});
    assert.equal(tfc.status, 200, JSON.stringify(tfc.json));
    assert.equal(tfc.json.claims.aud, "aws.workload.identity");
  });

  test("a refused audience names the allowed ones and the command that adds one", async () => {
    const r = await preview("keyless", "vault", {});
    assert.equal(r.status, 400);
    assert.equal(r.json.type, "https://keyless.dev/problems/unknown-audience");
    assert.match(r.json.detail, /allowed: sts\.amazonaws\.com\)/);
    assert.match(r.json.detail, /keyless org update org-keyless --add-audience vault/);
  });
});
