import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  decide,
  evaluate,
  parsePolicy,
  type Request,
  requestContext,
} from "../../../src/core/policy/index.js";

// Property-based checks of the engine's invariants over random policies and contexts. The alphabet is
// small on purpose, so random values collide with policy values and wildcards often enough to matter.

const KEYS = ["idp:sub", "idp:aud", "aws:TagKeys", "aws:RequestTag/team"];
const value = fc.constantFrom("a", "b", "ab", "ba", "a*", "*", "?", "a?", "", "repo:a/b", "repo:a/*");
const baseOperators = [
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
] as const;
const operator = fc
  .record({
    set: fc.constantFrom("", "ForAllValues:", "ForAnyValue:"),
    base: fc.constantFrom(...baseOperators),
    ifExists: fc.boolean(),
  })
  .map(({ set, base, ifExists }) => `${set}${base}${ifExists ? "IfExists" : ""}`);
const condition = fc.dictionary(
  operator,
  fc.dictionary(fc.constantFrom(...KEYS), fc.array(value, { minLength: 1, maxLength: 3 }), { maxKeys: 2 }),
  {
    maxKeys: 2,
  },
);
const statement = fc.record({
  Effect: fc.constantFrom("Allow", "Deny"),
  Principal: fc.constant("*"),
  Action: fc.constantFrom("sts:AssumeRoleWithWebIdentity", "sts:*", "sts:TagSession"),
  Condition: condition,
});
const statements = fc.array(statement, { minLength: 1, maxLength: 4 });
const context = fc.dictionary(fc.constantFrom(...KEYS), fc.array(value, { maxLength: 3 }), { maxKeys: 4 });

const policyOf = (list: unknown[]) => parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: list }));
const requestOf = (ctx: Record<string, string[]>): Request => ({
  principal: { type: "Federated", id: "arn:aws:iam::123456789012:oidc-provider/idp" },
  action: "sts:AssumeRoleWithWebIdentity",
  context: requestContext(ctx),
});
/** The decision on one statement allowing everything under `condition`, for the request context `ctx`. */
const decideUnder = (condition: unknown, ctx: Record<string, string[]>) =>
  decide(
    policyOf([{ Effect: "Allow", Principal: "*", Action: "sts:*", Condition: condition }]),
    requestOf(ctx),
  );
const shuffle = <T>(list: T[], seed: number): T[] => {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = (seed * (i + 7)) % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
};

describe("engine invariants (fast-check)", () => {
  test("the fast decision and the traced evaluation always agree", () => {
    fc.assert(
      fc.property(statements, context, (list, ctx) => {
        const policy = policyOf(list);
        assert.equal(decide(policy, requestOf(ctx)), evaluate(policy, requestOf(ctx)).decision);
      }),
      { numRuns: 2000 },
    );
  });

  test("deny monotonicity: adding a Deny never allows more; adding an Allow never denies more", () => {
    fc.assert(
      fc.property(statements, statement, context, (list, extra, ctx) => {
        const before = decide(policyOf(list), requestOf(ctx));
        const after = decide(policyOf([...list, extra]), requestOf(ctx));
        if (extra.Effect === "Deny" && before === "deny") assert.equal(after, "deny");
        if (extra.Effect === "Allow" && before === "allow") assert.equal(after, "allow");
      }),
      { numRuns: 2000 },
    );
  });

  test("order independence: statements, policy values and request values in any order decide the same", () => {
    fc.assert(
      fc.property(statements, context, fc.nat(1000), (list, ctx, seed) => {
        const reorderedList = shuffle(list, seed).map((s) => ({
          ...s,
          Condition: Object.fromEntries(
            shuffle(Object.entries(s.Condition), seed + 1).map(([op, keys]) => [
              op,
              Object.fromEntries(Object.entries(keys).map(([k, vs]) => [k, shuffle(vs, seed + 2)])),
            ]),
          ),
        }));
        const reorderedCtx = Object.fromEntries(
          shuffle(Object.entries(ctx), seed + 3).map(([k, vs]) => [k, shuffle(vs, seed + 4)]),
        );
        assert.equal(
          decide(policyOf(list), requestOf(ctx)),
          decide(policyOf(reorderedList), requestOf(reorderedCtx)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  test("IfExists/Null consistency: OpIfExists(k) ≡ Null(k)=true OR Op(k)", () => {
    const single = fc.record({
      base: fc.constantFrom(...baseOperators),
      key: fc.constantFrom(...KEYS),
      values: fc.array(value, { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(single, context, ({ base, key, values }, ctx) => {
        const allow = (c: unknown) => decideUnder(c, ctx);
        const ifExists = allow({ [`${base}IfExists`]: { [key]: values } });
        const absent = allow({ Null: { [key]: "true" } });
        const plain = allow({ [base]: { [key]: values } });
        assert.equal(ifExists === "allow", absent === "allow" || plain === "allow");
      }),
      { numRuns: 2000 },
    );
  });

  test("a negated operator is the complement of its positive twin on a single-valued key", () => {
    const pairs = [
      ["StringEquals", "StringNotEquals"],
      ["StringLike", "StringNotLike"],
      ["StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"],
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...pairs),
        fc.array(value, { minLength: 1, maxLength: 3 }),
        fc.option(value),
        ([pos, neg], values, requestValue) => {
          const ctx: Record<string, string[]> = requestValue === null ? {} : { "idp:sub": [requestValue] };
          const allow = (op: string) => decideUnder({ [op]: { "idp:sub": values } }, ctx);
          assert.notEqual(allow(pos), allow(neg));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("set operators on an absent key: ForAllValues true, ForAnyValue false (unless IfExists)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...baseOperators),
        fc.array(value, { minLength: 1, maxLength: 3 }),
        (base, values) => {
          const allow = (op: string) => decideUnder({ [op]: { "aws:TagKeys": values } }, {});
          assert.equal(allow(`ForAllValues:${base}`), "allow");
          assert.equal(allow(`ForAnyValue:${base}`), "deny");
          assert.equal(allow(`ForAnyValue:${base}IfExists`), "allow");
        },
      ),
    );
  });
});
