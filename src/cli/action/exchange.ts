import { parseAssumedRoleArn } from "../../core/aws/arn.js";
import { EXIT_STATUS, isKeylessError, peerFailure } from "../../lib/errors.js";
import {
  AccountNotAllowedError,
  type AssumePlan,
  CHAIN_MAX_SECONDS,
  runAssume,
} from "../../runner/assume.js";
import type { AssumedIdentity, AwsCredentials } from "../../runner/credentials.js";
import { sessionName } from "../../runner/role.js";
import { assumeRole } from "../../runner/sts.js";
import { refusalExplanation } from "../runner-options.js";
import { ActionInputError } from "./files.js";
import { type ActionInputs, webIdentityPlan } from "./inputs.js";

/** What one exchange produced: the final credentials and the identity after each hop, first to last. */
export interface Obtained {
  readonly credentials: AwsCredentials;
  readonly hops: readonly AssumedIdentity[];
}

/** A failure as the step reports it: one message, the exit status, and for a refusal the explanation. */
export interface Failure {
  readonly message: string;
  readonly status: number;
  readonly explanation?: string;
}

/**
 * configure-aws-credentials' special-characters-workaround retries until the secret access key has no
 * special characters, for tools that cannot take them; it allows 12 attempts by default
 * (https://github.com/aws-actions/configure-aws-credentials#special-characters-workaround).
 */
const SPECIAL_CHARACTER_ATTEMPTS = 12;
const plain = (c: AwsCredentials) => /^[A-Za-z0-9]+$/.test(c.secretAccessKey);

/**
 * The whole exchange for the action's inputs, once: the web identity (or, with role-chaining, the
 * credentials already in the environment), then each chained role. Throws the runner's errors.
 */
export function exchanger(
  inputs: ActionInputs,
  env: NodeJS.ProcessEnv,
): {
  plan: AssumePlan | undefined;
  obtain: () => Promise<Obtained>;
} {
  const plan = inputs.roleChaining ? undefined : webIdentityPlan(inputs, env);
  const once = plan ? () => viaWebIdentity(plan) : () => viaEnvironment(inputs, env);
  return {
    plan,
    obtain: inputs.specialCharactersWorkaround ? untilPlain(once) : once,
  };
}

/**
 * `obtain` asked again until the secret access key is letters and digits only, at most
 * SPECIAL_CHARACTER_ATTEMPTS times in all; then a failure saying so (exit 3: STS kept answering so).
 */
export function untilPlain(obtain: () => Promise<Obtained>): () => Promise<Obtained> {
  return async () => {
    for (let i = 1; ; i++) {
      const result = await obtain();
      if (plain(result.credentials)) return result;
      if (i >= SPECIAL_CHARACTER_ATTEMPTS)
        throw peerFailure(
          `special-characters-workaround: each of ${SPECIAL_CHARACTER_ATTEMPTS} secret access keys had a special character`,
        );
    }
  };
}

async function viaWebIdentity(plan: AssumePlan): Promise<Obtained> {
  const outcome = await runAssume(plan);
  return { credentials: outcome.credentials, hops: outcome.hops };
}

/** role-chaining: AssumeRole into role-to-assume with the environment's credentials (an earlier step's). */
async function viaEnvironment(inputs: ActionInputs, env: NodeJS.ProcessEnv): Promise<Obtained> {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey)
    throw new ActionInputError(
      "role-chaining: true needs credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), e.g. from an earlier step of this action",
    );
  const target = {
    region: inputs.region,
    endpoint: env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL,
  };
  const name = sessionName(inputs.sessionName, env, {});
  let credentials: AwsCredentials = {
    accessKeyId,
    secretAccessKey,
    sessionToken: env.AWS_SESSION_TOKEN ?? "",
    expiration: 0,
  };
  const hops: AssumedIdentity[] = [];
  const roles = [inputs.roleToAssume, ...inputs.chainRoleArns];
  for (const [i, roleArn] of roles.entries()) {
    const last = i === roles.length - 1;
    const result = await assumeRole(target, credentials, {
      roleArn,
      sessionName: name,
      externalId: inputs.externalId,
      durationSeconds:
        inputs.durationSeconds === undefined
          ? undefined
          : Math.min(inputs.durationSeconds, CHAIN_MAX_SECONDS),
      policy: last ? inputs.inlineSessionPolicy : undefined,
      policyArns:
        last && inputs.managedSessionPolicies.length > 0 ? inputs.managedSessionPolicies : undefined,
    });
    credentials = result.credentials;
    hops.push(result.identity);
  }
  const account = accountOf(hops.at(-1)!);
  if (inputs.allowedAccountIds.length > 0 && !inputs.allowedAccountIds.includes(account ?? ""))
    throw new AccountNotAllowedError(
      `the credentials belong to account ${account ?? "(unknown)"}, which is not in allowed-account-ids (${inputs.allowedAccountIds.join(", ")})`,
    );
  return { credentials, hops };
}

export const accountOf = (identity: AssumedIdentity): string | undefined =>
  parseAssumedRoleArn(identity.arn)?.account;

/**
 * The step's report of a failure. A refused web-identity exchange is explained as `keyless assume`
 * explains it (against the keyless emulator: the role's trust policy evaluated with the token; against
 * AWS: the claims STS compared and the likely causes); the analyst is loaded only then.
 */
export async function describeFailure(error: unknown, plan: AssumePlan | undefined): Promise<Failure> {
  if (error instanceof ActionInputError) return { message: error.message, status: EXIT_STATUS.input };
  if (!isKeylessError(error))
    return {
      message: `unexpected error: ${(error as Error)?.message ?? String(error)}`,
      status: EXIT_STATUS.outside,
    };
  const failure: Failure = { message: error.message, status: EXIT_STATUS[error.exitClass] };
  const explanation = plan ? await refusalExplanation(error, plan) : undefined;
  return explanation !== undefined ? { ...failure, explanation } : failure;
}
