import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadServeConfig } from "../../../src/server/config.js";
import { type TestIssuer, testIssuer } from "../../support/issuer.js";
import { tempDir } from "../../support/tmp.js";

/**
 * Prototype poisoning in the issuer's inputs: admin API bodies go through Fastify's JSON parser, whose
 * defaults (`onProtoPoisoning: "error"`, `onConstructorPoisoning: "error"`,
 * https://fastify.dev/docs/latest/Reference/Server/#onprotopoisoning) refuse them with 400; the
 * configuration file goes through src/lib/json.ts. Nothing is stored, nothing leaks into prototypes.
 */
// JSON.parse keeps "__proto__" as an own member, and JSON.stringify writes it back: the body on the wire.
const poisoned = (text: string) => JSON.parse(text) as unknown;

describe("admin API bodies with __proto__ or constructor.prototype", () => {
  let t: TestIssuer;
  before(async () => {
    t = await testIssuer();
  });
  after(() => t.close());

  // Pairs, not an object literal: in a literal, `__proto__: …` would set the prototype.
  const cases: [string, unknown][] = [
    ["__proto__", poisoned('{"name":"acme","__proto__":{"allowedAudiences":["attacker"]}}')],
    ["nested __proto__", poisoned('{"name":"acme","sessionTags":{"__proto__":{"enabled":true}}}')],
    ["constructor.prototype", poisoned('{"name":"acme","constructor":{"prototype":{"polluted":true}}}')],
  ];
  for (const [name, body] of cases) {
    test(`${name}: 400 and nothing stored`, async () => {
      const before = await t.snapshot();
      const r = await t.call("POST", "/api/v1/organizations", t.adminKey, body);
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(await t.snapshot(), before);
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      assert.equal(({} as { allowedAudiences?: unknown }).allowedAudiences, undefined);
    });
  }

  test("the same body without the poisoned member is accepted (the refusal is for that member)", async () => {
    const r = await t.call("POST", "/api/v1/organizations", t.adminKey, { name: "acme" });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  });
});

describe("serve --config with __proto__", () => {
  test("refused as a ConfigError naming the member", () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, "config.json");
      writeFileSync(file, '{"port":8443,"__proto__":{"issuerUrl":"https://attacker.example"}}');
      assert.throws(
        () => loadServeConfig({ flags: { config: file }, env: {} }),
        (e: unknown) => e instanceof ConfigError && /__proto__/.test(e.message),
      );
    } finally {
      dir.cleanup();
    }
  });
});
