import { decide, globMatchText } from "../../core/policy/index.js";
import { OPERATORS } from "../../core/policy/operators.js";
import type { Condition, Policy, RequestContext, Statement } from "../../core/policy/types.js";

/**
 * Admission analysis: which values of a condition key a trust statement lets in, answered by the policy
 * engine itself. A question is a probe token — a request context — and the answer is the engine's
 * decision for a policy made of the statement under test plus every Deny statement of the policy (Deny
 * statements can take back what an Allow admits; other Allow statements are analysed on their own,
 * since statements are OR-ed and each must be tight by itself).
 *
 * Keys the probe does not set take a "witness" value: one the statement's own conditions accept for that
 * key in isolation (found by asking the engine about each candidate value), so that a probe on `sub`
 * is not rejected merely because the probe forgot the audience.
 */
export const WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity";
export const TAG_SESSION = "sts:TagSession";

/** `undefined` = the key is absent from the token. */
export type Probe = ReadonlyMap<string, readonly string[] | undefined>;

export class Admission {
  private readonly denies: readonly Statement[];
  private readonly witness: Map<string, readonly string[]>;
  /** Keys whose conditions no candidate value satisfies (e.g. StringEquals with a wildcard). */
  readonly unsatisfiable: ReadonlySet<string>;

  constructor(
    private readonly policy: Policy,
    readonly statement: Statement,
    readonly federatedId: string,
    /** What a real token of the platform carries besides the conditioned keys (aud, sub, session tags). */
    base: ReadonlyMap<string, readonly string[]>,
  ) {
    this.denies = policy.statements.filter((s) => s.effect === "Deny" && s !== statement);
    const { witness, unsatisfiable } = findWitness(policy, statement, federatedId, base);
    this.witness = witness;
    this.unsatisfiable = unsatisfiable;
  }

  /** The context a probe is evaluated in: the witness, overridden by the probe. */
  context(probe: Probe = new Map()): RequestContext {
    const context = new Map(this.witness);
    for (const [key, values] of probe) {
      if (values === undefined) context.delete(key.toLowerCase());
      else context.set(key.toLowerCase(), values);
    }
    return context;
  }

  /** Does the statement (with the policy's Deny statements) admit this probe for `action`? */
  admits(probe: Probe = new Map(), action = WEB_IDENTITY, statement: Statement = this.statement): boolean {
    const policy: Policy = { ...this.policy, statements: [statement, ...this.denies] };
    return (
      decide(policy, {
        principal: { type: "Federated", id: this.federatedId },
        action,
        context: this.context(probe),
      }) === "allow"
    );
  }

  /** The same question for a variant of the statement in which `key` keeps only `value` (to tell which
   * element of a value list is the loose one). */
  admitsWithOnly(key: string, value: string, probe: Probe): boolean {
    const lower = key.toLowerCase();
    const conditions = this.statement.conditions.map((c) =>
      c.key.toLowerCase() === lower && c.values.includes(value) ? { ...c, values: [value] } : c,
    );
    return this.admits(probe, WEB_IDENTITY, { ...this.statement, conditions });
  }

  witnessOf(key: string): readonly string[] | undefined {
    return this.witness.get(key.toLowerCase());
  }
}

export function isNegated(condition: Condition): boolean {
  const base = condition.operator.base;
  return base !== "Null" && OPERATORS[base].negated;
}

/** A condition that can only be true when the key is present and matches: IAM's "positive" operators. */
export function isPositive(condition: Condition): boolean {
  const op = condition.operator;
  return (
    !op.ifExists &&
    op.set !== "ForAllValues" &&
    (op.base === "StringEquals" || op.base === "StringLike" || op.base === "StringEqualsIgnoreCase")
  );
}

export function isLike(condition: Condition): boolean {
  return condition.operator.base === "StringLike" || condition.operator.base === "StringNotLike";
}

export function hasWildcard(value: string): boolean {
  return value.includes("*") || value.includes("?");
}

/** A concrete value a Like pattern admits: `*` → nothing, `?` → `x` (checked by the engine's glob). */
export function instantiate(pattern: string): string {
  const text = pattern.replaceAll("*", "").replaceAll("?", "x");
  return globMatchText(pattern, text) ? text : pattern;
}

function findWitness(
  policy: Policy,
  statement: Statement,
  federatedId: string,
  base: ReadonlyMap<string, readonly string[]>,
): { witness: Map<string, readonly string[]>; unsatisfiable: Set<string> } {
  const witness = new Map(base);
  const unsatisfiable = new Set<string>();
  const byKey = new Map<string, Condition[]>();
  for (const c of statement.conditions) {
    const key = c.key.toLowerCase();
    byKey.set(key, [...(byKey.get(key) ?? []), c]);
  }
  for (const [key, conditions] of byKey) {
    // Only the conditions on this key: any action, no principal test (those are other rules' business).
    const isolated: Policy = {
      ...policy,
      statements: [
        { ...statement, conditions, principal: undefined, action: { negated: false, patterns: ["*"] } },
      ],
    };
    const candidates: (readonly string[] | undefined)[] = [];
    const baseValue = base.get(key);
    if (baseValue) candidates.push(baseValue);
    for (const c of conditions) {
      for (const v of c.values) candidates.push([isLike(c) ? instantiate(v) : v]);
      if (c.operator.base === "Null") candidates.push(undefined);
    }
    candidates.push(["zz-unlisted-value"], undefined);
    const holds = (values: readonly string[] | undefined) => {
      const context = new Map(values === undefined ? [] : [[key, values] as const]);
      return (
        decide(isolated, {
          principal: { type: "Federated", id: federatedId },
          action: WEB_IDENTITY,
          context,
        }) === "allow"
      );
    };
    let chosen: { values: readonly string[] | undefined } | undefined;
    for (const candidate of candidates) {
      if (holds(candidate)) {
        chosen = { values: candidate };
        break;
      }
    }
    if (!chosen) {
      unsatisfiable.add(key);
      const first = candidates[0];
      if (!witness.has(key) && first) witness.set(key, first);
    } else if (chosen.values === undefined) {
      witness.delete(key);
    } else {
      witness.set(key, chosen.values);
    }
  }
  return { witness, unsatisfiable };
}
