import {
  type ContextInput,
  decide,
  evaluate,
  parsePolicy,
  type RequestPrincipal,
  requestContext,
} from "../../../src/core/policy/index.js";

export const ACCOUNT = "123456789012";
export const GITHUB = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
export const federated = (id = GITHUB): RequestPrincipal => ({ type: "Federated", id });

/** A one-statement policy allowing sts:AssumeRoleWithWebIdentity under the given Condition block. */
export function conditionPolicy(condition: Record<string, Record<string, unknown>>, version = "2012-10-17") {
  return parsePolicy(
    JSON.stringify({
      Version: version,
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: GITHUB },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: condition,
        },
      ],
    }),
    { kind: "trust" },
  );
}

/** Whether the Condition block holds for the context: decide and evaluate must agree, always. */
export function holds(
  condition: Record<string, Record<string, unknown>>,
  context: ContextInput,
  version?: string,
): boolean {
  const policy = conditionPolicy(condition, version);
  const request = {
    principal: federated(),
    action: "sts:AssumeRoleWithWebIdentity",
    context: requestContext(context),
  };
  const fast = decide(policy, request) === "allow";
  const traced = evaluate(policy, request).decision === "allow";
  if (fast !== traced) throw new Error(`decide (${fast}) and evaluate (${traced}) disagree`);
  return fast;
}
