import { parseAssumedRoleArn } from "../core/aws/arn.js";
import { decodeToken } from "../core/token/decode.js";
import { errorKind } from "../lib/errors.js";
import type { AssumedIdentity, AwsCredentials } from "./credentials.js";
import { sessionName as chooseSessionName, selectRole } from "./role.js";
import { assumeRole, assumeRoleWithWebIdentity, StsError, type StsTarget } from "./sts.js";
import type { TokenSource } from "./token-sources.js";

/**
 * The whole exchange a job needs: a fresh token from its source, AssumeRoleWithWebIdentity on the
 * chosen role, then each --chain-role-arn hop with AssumeRole, then the account check. `keyless
 * assume` runs it once; `keyless exec` runs it again whenever the credentials are due.
 */
export interface ChainStep {
  readonly roleArn: string;
  readonly externalId?: string;
}

export interface AssumePlan {
  readonly source: TokenSource;
  readonly audience: string | undefined;
  readonly roleArn: string | undefined;
  readonly chain: readonly ChainStep[];
  readonly sessionName: string | undefined;
  readonly durationSeconds: number | undefined;
  readonly policy: string | undefined;
  readonly policyArns: readonly string[];
  readonly allowedAccounts: readonly string[];
  readonly target: StsTarget;
  readonly env: NodeJS.ProcessEnv;
}

export interface AssumeOutcome {
  readonly credentials: AwsCredentials;
  readonly identity: AssumedIdentity;
  /** The web-identity hop's role, where it came from, and the session name used. */
  readonly role: { readonly arn: string; readonly from: string };
  readonly sessionName: string;
  readonly token: string;
  readonly claims: Record<string, unknown>;
  /** The identity after each hop, web identity first. */
  readonly hops: readonly AssumedIdentity[];
}

export class AccountNotAllowedError extends errorKind("ERR_ACCOUNT_NOT_ALLOWED", "negative") {}

/** Chained sessions are capped at one hour by AWS; asking for more fails, so the cap is applied. */
export const CHAIN_MAX_SECONDS = 3600;

export async function runAssume(plan: AssumePlan): Promise<AssumeOutcome> {
  const token = await plan.source.fetch(plan.audience);
  const claims = safeClaims(token);
  const role = selectRole(plan.roleArn, plan.env, claims);
  const name = chooseSessionName(plan.sessionName, plan.env, claims);
  let result = await assumeRoleWithWebIdentity(plan.target, {
    token,
    roleArn: role.roleArn,
    sessionName: name,
    durationSeconds: plan.durationSeconds,
    policy: plan.chain.length === 0 ? plan.policy : undefined,
    policyArns: plan.chain.length === 0 && plan.policyArns.length > 0 ? plan.policyArns : undefined,
  }).catch((error: unknown) => {
    if (error instanceof StsError) error.exchange = { token, roleArn: role.roleArn, sessionName: name };
    throw error;
  });
  const hops = [result.identity];
  for (const [i, step] of plan.chain.entries()) {
    const last = i === plan.chain.length - 1;
    result = await assumeRole(plan.target, result.credentials, {
      roleArn: step.roleArn,
      sessionName: name,
      externalId: step.externalId,
      durationSeconds:
        plan.durationSeconds === undefined ? undefined : Math.min(plan.durationSeconds, CHAIN_MAX_SECONDS),
      // Session policies narrow the credentials the job ends up with: the last hop's.
      policy: last ? plan.policy : undefined,
      policyArns: last && plan.policyArns.length > 0 ? plan.policyArns : undefined,
    });
    hops.push(result.identity);
  }
  const account = parseAssumedRoleArn(result.identity.arn)?.account;
  if (plan.allowedAccounts.length > 0 && (account === undefined || !plan.allowedAccounts.includes(account))) {
    throw new AccountNotAllowedError(
      `the credentials belong to account ${account ?? "(unknown)"}, which is not in --allowed-account-id (${plan.allowedAccounts.join(", ")})`,
    );
  }
  return {
    credentials: result.credentials,
    identity: result.identity,
    role: { arn: role.roleArn, from: role.from },
    sessionName: name,
    token,
    claims,
    hops,
  };
}

function safeClaims(token: string): Record<string, unknown> {
  try {
    return decodeToken(token).claims as Record<string, unknown>;
  } catch {
    // STS will refuse it with InvalidIdentityToken, which is the message the user should see.
    return {};
  }
}
