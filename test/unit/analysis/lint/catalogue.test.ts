import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
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

describe("rule pages", () => {
  const pages = FIXTURES.replace(/test\/fixtures\/lint\/$/, "docs/rules/");
  for (const rule of RULES) {
    it(`${rule.id}: its page states keyless's severity, the catalogue's among the values`, () => {
      const line = /\*\*keyless severity\*\*: (.*)/.exec(readFileSync(`${pages}${rule.id}.md`, "utf8"))?.[1];
      assert.ok(line, `docs/rules/${rule.id}.md has no severity line`);
      const stated = [...line.split("(catalogue:")[0]!.matchAll(/`([^`]*)`/g)].map((m) => m[1]);
      assert.ok(stated.length > 0 && stated.every((s) => s !== ""), `${rule.id}: an empty severity: ${line}`);
      assert.ok(
        stated.includes(rule.severity),
        `${rule.id}: the page says ${stated.join("/")}, the catalogue ${rule.severity}`,
      );
    });
  }
});
