import { type ConditionTrace, conditionHolds, traceCondition } from "./conditions.js";
import { globMatch, globTokens } from "./glob.js";
import { matchPrincipal, type PrincipalMatch } from "./principal.js";
import type { Policy, Request, Statement } from "./types.js";
import { parseValue, substitutePattern } from "./variables.js";

/**
 * AWS's decision for one policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): a statement applies when its
 * principal, action, resource and every condition match; any applying Deny → deny ("explicit"); else
 * any applying Allow → allow; else deny ("implicit").
 */
export type Decision = "allow" | "deny";

export interface Evaluation {
  readonly decision: Decision;
  readonly reason: "explicit-deny" | "allowed" | "implicit-deny";
  /** For an allow: the strongest way a principal was admitted (see PrincipalMatch). */
  readonly allowedVia: "any" | "account" | "exact" | "role" | undefined;
  readonly statements: readonly StatementTrace[];
}

export interface StatementTrace {
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: "Allow" | "Deny";
  /** Whether the statement applies to the request (principal, action, resource and conditions all match). */
  readonly applies: boolean;
  readonly principal: PrincipalMatch | undefined;
  readonly action: {
    readonly matched: boolean;
    readonly requested: string;
    readonly patterns: readonly string[];
    readonly negated: boolean;
  };
  readonly resource:
    | { readonly matched: boolean; readonly requested: string | undefined; readonly negated: boolean }
    | undefined;
  readonly conditions: readonly ConditionTrace[];
}

const actionCache = new WeakMap<Statement, ReturnType<typeof globTokens>[]>();

/** Action names are case-insensitive; `*` and `?` are wildcards (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html). */
export function actionMatches(statement: Statement, action: string): boolean {
  if (!statement.action) return false;
  let compiled = actionCache.get(statement);
  if (!compiled) {
    compiled = statement.action.patterns.map((p) => globTokens(p.toLowerCase()));
    actionCache.set(statement, compiled);
  }
  const lower = action.toLowerCase();
  const any = compiled.some((tokens) => globMatch(tokens, lower));
  return statement.action.negated ? !any : any;
}

function resourceMatches(statement: Statement, request: Request, variables: boolean): boolean {
  if (!statement.resource) return true;
  const resource = request.resource;
  if (resource === undefined) return statement.resource.negated;
  const any = statement.resource.patterns.some((p) => {
    const tokens = variables ? substitutePattern(parseValue(p), request.context) : globTokens(p);
    return tokens !== null && globMatch(tokens, resource);
  });
  return statement.resource.negated ? !any : any;
}

function principalMatches(statement: Statement, request: Request): PrincipalMatch | undefined {
  if (!statement.principal) return undefined;
  const match = matchPrincipal(statement.principal.block, request.principal);
  if (!statement.principal.negated) return match;
  // NotPrincipal: every principal except those listed.
  return match.matched
    ? { matched: false, reason: `NotPrincipal excludes ${match.reason}` }
    : { matched: true, via: "exact", reason: `NotPrincipal does not list the caller (${match.reason})` };
}

const usesVariables = (policy: Policy) => policy.version === "2012-10-17";

/** The fast path: the decision only, stopping at the first applying Deny. */
export function decide(policy: Policy, request: Request): Decision {
  const variables = usesVariables(policy);
  let allowed = false;
  for (const statement of policy.statements) {
    if (allowed && statement.effect === "Allow") continue;
    if (!actionMatches(statement, request.action)) continue;
    const principal = principalMatches(statement, request);
    if (principal !== undefined && !principal.matched) continue;
    if (!resourceMatches(statement, request, variables)) continue;
    let holds = true;
    for (const condition of statement.conditions) {
      if (!conditionHolds(condition, request.context, variables)) {
        holds = false;
        break;
      }
    }
    if (!holds) continue;
    if (statement.effect === "Deny") return "deny";
    allowed = true;
  }
  return allowed ? "allow" : "deny";
}

/** The decision with a full trace: every statement, every condition, the values compared. */
export function evaluate(policy: Policy, request: Request): Evaluation {
  const variables = usesVariables(policy);
  const statements = policy.statements.map((statement): StatementTrace => {
    const principal = principalMatches(statement, request);
    const action = {
      matched: actionMatches(statement, request.action),
      requested: request.action,
      patterns: statement.action?.patterns ?? [],
      negated: statement.action?.negated ?? false,
    };
    const resource = statement.resource
      ? {
          matched: resourceMatches(statement, request, variables),
          requested: request.resource,
          negated: statement.resource.negated,
        }
      : undefined;
    const conditions = statement.conditions.map((c) => traceCondition(c, request.context, variables));
    const applies =
      (principal === undefined || principal.matched) &&
      action.matched &&
      (resource === undefined || resource.matched) &&
      conditions.every((c) => c.result);
    return {
      index: statement.index,
      sid: statement.sid,
      effect: statement.effect,
      applies,
      principal,
      action,
      resource,
      conditions,
    };
  });
  const applying = statements.filter((s) => s.applies);
  if (applying.some((s) => s.effect === "Deny")) {
    return { decision: "deny", reason: "explicit-deny", allowedVia: undefined, statements };
  }
  const allows = applying.filter((s) => s.effect === "Allow");
  if (allows.length === 0)
    return { decision: "deny", reason: "implicit-deny", allowedVia: undefined, statements };
  // A statement that names the caller outright needs nothing more; prefer it over account delegation.
  const vias = allows.map((s) => (s.principal?.matched ? s.principal.via : "exact"));
  const allowedVia = vias.find((v) => v !== "account") ?? "account";
  return { decision: "allow", reason: "allowed", allowedVia, statements };
}
