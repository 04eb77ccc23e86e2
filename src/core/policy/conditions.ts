import { OPERATORS, type OperatorSpec } from "./operators.js";
import type { Condition, RequestContext } from "./types.js";
import { isStatic, parseValue, substitute, type ValuePart } from "./variables.js";

/**
 * One condition (operator + key + values) against a request context, with IAM's rules for absent keys,
 * `...IfExists`, `Null` and the set operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html):
 *
 * - absent key: false, except negated operators (true), IfExists (true), ForAllValues (true),
 *   ForAnyValue (false); an empty value set counts as absent;
 * - several policy values are OR (for negated operators: the request value must match none of them);
 * - ForAllValues: every request value matches some policy value; ForAnyValue (and no set operator):
 *   some request value does.
 */
export interface ConditionTrace {
  readonly operator: string;
  readonly key: string;
  /** Policy values after variable substitution; null where a variable could not be resolved. */
  readonly policyValues: readonly (string | null)[];
  /** The request's values for the key; null when the key is absent. */
  readonly requestValues: readonly string[] | null;
  readonly result: boolean;
  /** Why, in words a person can act on. */
  readonly reason: string;
}

interface Compiled {
  readonly spec: OperatorSpec<unknown> | undefined;
  readonly lowerKey: string;
  readonly parts: readonly (readonly ValuePart[])[];
  /** Prepared policy values when none has a variable (the common case): computed once per policy. */
  readonly prepared: readonly unknown[] | undefined;
  /** For values with variables: prepared values by the variables' resolved text, since the same
   * principal's requests resolve them the same way. Bounded; cleared when full. */
  readonly dynamic: Map<string, readonly unknown[]>;
}

const DYNAMIC_CACHE_LIMIT = 256;

const EMPTY_CONTEXT: RequestContext = new Map();
const compiledCache = new WeakMap<Condition, Compiled>();

function compile(condition: Condition, variables: boolean): Compiled {
  let compiled = compiledCache.get(condition);
  if (compiled) return compiled;
  const base = condition.operator.base;
  const spec = base === "Null" ? undefined : (OPERATORS[base] as OperatorSpec<unknown>);
  const useVariables = variables && spec?.variables === true;
  const parts = condition.values.map((v) =>
    useVariables ? parseValue(v) : [{ kind: "text" as const, text: v }],
  );
  const prepared =
    spec && parts.every(isStatic) ? parts.map((p) => spec.prepare(p, EMPTY_CONTEXT)) : undefined;
  compiled = { spec, lowerKey: condition.key.toLowerCase(), parts, prepared, dynamic: new Map() };
  compiledCache.set(condition, compiled);
  return compiled;
}

/**
 * The fast path: just the answer. `variables` is whether policy variables apply (Version 2012-10-17).
 */
export function conditionHolds(condition: Condition, context: RequestContext, variables: boolean): boolean {
  const compiled = compile(condition, variables);
  const values = context.get(compiled.lowerKey);
  const { operator } = condition;
  if (operator.base === "Null") return nullHolds(condition.values, values);
  // An empty value set is treated as absence by every operator (AWS documents it for the set operators).
  const absent = values === undefined || values.length === 0;
  if (absent) return absentResult(condition) ?? false;
  const spec = compiled.spec!;
  const prepared = compiled.prepared ?? preparedFor(compiled, spec, context);
  const matchesAny = (value: string): boolean => {
    for (const p of prepared) if (p !== undefined && spec.test(value, p)) return true;
    return false;
  };
  // A value "satisfies" the operator: for negated operators, it matches none of the policy values.
  const satisfies = spec.negated ? (v: string) => !matchesAny(v) : matchesAny;
  if (operator.set === "ForAllValues") return values!.every(satisfies);
  return values!.some(satisfies);
}

function preparedFor(
  compiled: Compiled,
  spec: OperatorSpec<unknown>,
  context: RequestContext,
): readonly unknown[] {
  // The key is what the variables resolve to (the same resolution the comparison uses: a multivalued
  // key is unresolved even with one value), each written as its length and text, or "-" when unresolved,
  // so no two resolutions share a key whatever characters a claim holds.
  let key = "";
  for (const parts of compiled.parts) {
    for (const part of parts) {
      if (part.kind !== "variable") continue;
      const resolved = substitute([part], context);
      key += resolved === null ? "-" : `${resolved.length}:${resolved}`;
    }
  }
  let prepared = compiled.dynamic.get(key);
  if (prepared === undefined) {
    prepared = compiled.parts.map((p) => spec.prepare(p, context));
    if (compiled.dynamic.size >= DYNAMIC_CACHE_LIMIT) compiled.dynamic.clear();
    compiled.dynamic.set(key, prepared);
  }
  return prepared;
}

function nullHolds(policyValues: readonly string[], values: readonly string[] | undefined): boolean {
  const absent = values === undefined || values.length === 0;
  // Several values are OR-ed like any other operator; "true" asks for absence, "false" for presence.
  return policyValues.some((v) =>
    v.toLowerCase() === "true" ? absent : v.toLowerCase() === "false" ? !absent : false,
  );
}

/** The result for an absent key, with the rule that decides it; undefined means "false, plainly". */
function absentResult(condition: Condition): boolean | undefined {
  const { operator } = condition;
  if (operator.ifExists) return true;
  if (operator.set === "ForAllValues") return true;
  if (operator.set === "ForAnyValue") return false;
  return OPERATORS[operator.base as Exclude<typeof operator.base, "Null">].negated;
}

/** The same decision as conditionHolds, with the values compared and the rule applied, for explain. */
export function traceCondition(
  condition: Condition,
  context: RequestContext,
  variables: boolean,
): ConditionTrace {
  const compiled = compile(condition, variables);
  const { operator } = condition;
  const raw = context.get(compiled.lowerKey);
  const requestValues = raw === undefined ? null : [...raw];
  const result = conditionHolds(condition, context, variables);
  // The values as the comparison saw them: substituted by the same rules (a multivalued key, even with
  // one value, is unresolved), so explain never shows a value the decision did not use.
  const policyValues = compiled.parts.map((parts) => substitute(parts, context));
  return {
    operator: operator.text,
    key: condition.key,
    policyValues,
    requestValues,
    result,
    reason: reason(),
  };

  function reason(): string {
    const absent = raw === undefined || raw.length === 0;
    if (operator.base === "Null") {
      return absent ? "key is absent" : "key is present";
    }
    if (absent) {
      if (operator.ifExists) return "key is absent, and ...IfExists makes an absent key pass";
      if (operator.set === "ForAllValues") return "key is absent, and ForAllValues is true for an empty set";
      if (operator.set === "ForAnyValue") return "key is absent, and ForAnyValue is false for an empty set";
      return OPERATORS[operator.base as Exclude<typeof operator.base, "Null">].negated
        ? "key is absent, and a negated operator is true for an absent key"
        : "key is absent from the request, so the condition cannot match";
    }
    if (policyValues.every((v) => v === null))
      return "no policy value could be resolved (unresolved policy variable)";
    const negated = compiled.spec?.negated === true;
    if (operator.set === "ForAllValues")
      return result
        ? "every request value is allowed by the policy values"
        : "a request value is not allowed by the policy values";
    if (negated)
      return result
        ? "the request value matches none of the excluded values"
        : "the request value matches an excluded value";
    return result ? "a request value matches a policy value" : "no request value matches any policy value";
  }
}
