/**
 * The IAM policy engine: parse → validate → evaluate → trace. Pure: no I/O, no clock, no AWS wire.
 * Everything that decides whether a request may do something goes through here (the emulator's STS,
 * `keyless explain`, `keyless lint`).
 */
export type { ConditionTrace } from "./conditions.js";
export { conditionHolds, traceCondition } from "./conditions.js";
export { type ContextInput, requestContext, withKeys } from "./context.js";
export { IAM_MESSAGES, PolicyError } from "./errors.js";
export {
  actionMatches,
  type Decision,
  decide,
  type Evaluation,
  evaluate,
  type StatementTrace,
} from "./evaluate.js";
export { globMatch, globMatchText, globTokens } from "./glob.js";
export type { Json } from "./json.js";
export { splitArn } from "./operators.js";
export { type PolicyKind, parseOperator, parsePolicy } from "./parse.js";
export { describePrincipal, matchPrincipal, type PrincipalMatch } from "./principal.js";
export { compactLength, TRUST_POLICY_SIZE_QUOTA } from "./size.js";
export type * from "./types.js";
export { hasWrittenWildcard, isMultivaluedKey } from "./variables.js";
