import { isAccountId } from "../../core/aws/identifiers.js";
import type { AssumePlan } from "../../runner/assume.js";
import { validateRoleArn } from "../../runner/role.js";
import { buildPlan } from "../runner-options.js";
import { ActionInputError, type StepIo } from "./files.js";

/**
 * The action's inputs: those of aws-actions/configure-aws-credentials for the OIDC path, with the same
 * names and meanings (https://github.com/aws-actions/configure-aws-credentials#options), and what keyless
 * adds (`chain-role-arns`, `refresh-credentials`, `ca`). Read from the step's `INPUT_*` variables.
 */
export interface ActionInputs {
  readonly roleToAssume: string;
  readonly region: string;
  readonly sessionName: string | undefined;
  readonly durationSeconds: number | undefined;
  /** configure-aws-credentials' role-chaining: assume the role with the credentials already in the environment. */
  readonly roleChaining: boolean;
  readonly externalId: string | undefined;
  readonly inlineSessionPolicy: string | undefined;
  readonly managedSessionPolicies: readonly string[];
  readonly outputCredentials: boolean;
  readonly outputEnvCredentials: boolean;
  readonly maskAccountId: boolean;
  readonly audience: string;
  readonly specialCharactersWorkaround: boolean;
  readonly allowedAccountIds: readonly string[];
  /** keyless: roles assumed after the first one, in order, in this step. */
  readonly chainRoleArns: readonly string[];
  /** keyless: keep credentials fresh for the rest of the job through a credential endpoint. */
  readonly refresh: boolean;
  /** keyless: a PEM file of an extra CA for the token source's HTTPS (a private keyless issuer). */
  readonly ca: string | undefined;
}

export function readInputs(io: StepIo): ActionInputs {
  const optional = (name: string) => io.input(name) || undefined;
  const roleToAssume = io.input("role-to-assume");
  if (!roleToAssume) throw new ActionInputError("input role-to-assume is required");
  if (!roleToAssume.startsWith("arn:"))
    throw new ActionInputError(
      `input role-to-assume: "${roleToAssume}" is not a role ARN; with OIDC the account is not known before the exchange, so give the full ARN (arn:aws:iam::ACCOUNT:role/NAME)`,
    );
  validateRoleArn(roleToAssume, "input role-to-assume");
  const region = io.input("aws-region");
  if (!region) throw new ActionInputError("input aws-region is required");
  // AWS region names: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new ActionInputError(`input aws-region: "${region}" is not a region name (e.g. us-east-1)`);
  const duration = optional("role-duration-seconds");
  let durationSeconds: number | undefined;
  if (duration !== undefined) {
    durationSeconds = Number(duration);
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200)
      throw new ActionInputError(
        `input role-duration-seconds: ${duration}: AWS accepts 900 to 43200 seconds`,
      );
  }
  const allowedAccountIds = io
    .input("allowed-account-ids")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  for (const id of allowedAccountIds)
    if (!isAccountId(id))
      throw new ActionInputError(`input allowed-account-ids: ${id} is not a 12-digit account id`);
  const chainRoleArns = io.multilineInput("chain-role-arns");
  for (const arn of chainRoleArns) validateRoleArn(arn, "input chain-role-arns");
  const inputs: ActionInputs = {
    roleToAssume,
    region,
    sessionName: optional("role-session-name"),
    durationSeconds,
    roleChaining: io.booleanInput("role-chaining"),
    externalId: optional("role-external-id"),
    inlineSessionPolicy: optional("inline-session-policy"),
    managedSessionPolicies: io.multilineInput("managed-session-policies"),
    outputCredentials: io.booleanInput("output-credentials"),
    // configure-aws-credentials exports the credentials unless told not to.
    outputEnvCredentials:
      io.input("output-env-credentials") === "" || io.booleanInput("output-env-credentials"),
    maskAccountId: io.booleanInput("mask-aws-account-id"),
    audience: io.input("audience") || "sts.amazonaws.com",
    specialCharactersWorkaround: io.booleanInput("special-characters-workaround"),
    allowedAccountIds,
    chainRoleArns,
    refresh: io.booleanInput("refresh-credentials"),
    ca: optional("ca"),
  };
  if (inputs.refresh && inputs.roleChaining)
    throw new ActionInputError(
      "inputs refresh-credentials and role-chaining exclude each other: credentials taken from the environment cannot be renewed; use chain-role-arns to chain from the web identity",
    );
  return inputs;
}

/** The runner's plan for the web-identity path: the job's token (detected), the role, then the chain. */
export function webIdentityPlan(inputs: ActionInputs, env: NodeJS.ProcessEnv): AssumePlan {
  return buildPlan(
    {
      ...(inputs.ca ? { ca: inputs.ca } : {}),
      audience: inputs.audience,
      roleArn: inputs.roleToAssume,
      chainRoleArn: [...inputs.chainRoleArns],
      externalId: inputs.externalId === undefined ? [] : [inputs.externalId],
      sessionName: inputs.sessionName,
      duration: inputs.durationSeconds === undefined ? undefined : String(inputs.durationSeconds),
      policy: inputs.inlineSessionPolicy,
      policyArn: [...inputs.managedSessionPolicies],
      region: inputs.region,
      allowedAccountId: [...inputs.allowedAccountIds],
    },
    env,
  );
}
