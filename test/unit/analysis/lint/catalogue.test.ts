import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { RULES } from "../../../../src/analysis/lint/rules/catalogue.js";
import { FIXTURES, lintFixture, rules } from "./helpers.js";

// The catalogue's own bad/fixed pair for every rule that has one (docs/rules/OIDC-*.md). OIDC-103's
// bad example is bad only given the job's environment, which a policy alone cannot show: rules.test.ts
// has its policy-only form. OIDC-107 and -110 have no policy examples.
const files = new Set(readdirSync(`${FIXTURES}catalogue`));
const CONTEXT_ONLY = new Set(["OIDC-103"]);

describe("catalogue examples", () => {
  for (const rule of RULES) {
    if (!files.has(`${rule.id}.bad.json`)) continue;
    it(`${rule.id}: the bad example is flagged, the fixed one is not`, () => {
      if (!CONTEXT_ONLY.has(rule.id)) {
        assert.ok(
          rules(lintFixture(`catalogue/${rule.id}.bad.json`)).includes(rule.id),
          `${rule.id} bad not flagged`,
        );
      }
      assert.ok(
        !rules(lintFixture(`catalogue/${rule.id}.fixed.json`)).includes(rule.id),
        `${rule.id} fixed flagged`,
      );
    });
  }

  it("every finding names its statement and says how to fix it", () => {
    const findings = lintFixture("catalogue/OIDC-006.bad.json");
    const f = findings.find((x) => x.rule === "OIDC-006")!;
    assert.equal(f.statement, 0);
    assert.match(f.message, /Statement\[0\]/);
    assert.match(f.message, /token\.actions\.githubusercontent\.com:sub/);
    assert.match(f.message, /Pin/);
  });
});
