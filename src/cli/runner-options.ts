import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { isAccountId } from "../core/aws/identifiers.js";
import { fileErrorFrom, inputError } from "../lib/errors.js";
import type { AssumePlan, ChainStep } from "../runner/assume.js";
import { ROLE_VARIABLES, validateRoleArn } from "../runner/role.js";
import { StsError } from "../runner/sts.js";
import {
  chooseTokenSource,
  DETECTION_ORDER,
  type SourceName,
  systemSourceEnvironment,
} from "../runner/token-sources.js";

/** The options `keyless assume` and `keyless exec` share: where the token comes from, which role, how. */
export interface AssumeFlags {
  source?: string;
  fromFile?: string;
  fromEnv?: string;
  ca?: string;
  audience?: string;
  roleArn?: string;
  chainRoleArn: string[];
  externalId: string[];
  sessionName?: string;
  duration?: string;
  policy?: string;
  policyArn: string[];
  region?: string;
  endpointUrl?: string;
  allowedAccountId: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addAssumeOptions(command: Command): Command {
  return command
    .option("--role-arn <arn>", `role to assume (default: ${ROLE_VARIABLES.join(", ")})`)
    .option(
      "--chain-role-arn <arn>",
      "then assume this role with the credentials so far (repeatable, in order)",
      collect,
      [],
    )
    .option(
      "--external-id <id>",
      "ExternalId for the chained hops (one for all, or one per --chain-role-arn)",
      collect,
      [],
    )
    .option(
      "--session-name <name>",
      "RoleSessionName (default: from the run: run id, GitHub run, env0 deployment…)",
    )
    .option("--duration <seconds>", "session duration in seconds (900–43200; chained hops at most 3600)")
    .option("--policy <json|file>", "session policy (JSON text or a file) to narrow the final credentials")
    .option("--policy-arn <arn>", "managed session policy ARN (repeatable)", collect, [])
    .option("--region <region>", "region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)")
    .option(
      "--endpoint-url <url>",
      "STS endpoint (default: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the regional AWS endpoint)",
    )
    .option("--allowed-account-id <id>", "refuse credentials of any other account (repeatable)", collect, [])
    .option("--audience <aud>", "audience to request, where the token source lets one choose")
    .option("--source <name>", `token source instead of detection: ${DETECTION_ORDER.join(", ")}`)
    .option("--from-file <path>", "read the token from this file (re-read on every refresh)")
    .option(
      "--from-env <variable>",
      "read the token from this environment variable (e.g. a GitLab id_tokens variable)",
    )
    .option(
      "--ca <file>",
      "extra CA certificate (PEM) to trust for the token source's HTTPS (e.g. keyless dev's CA)",
    );
}

export function buildPlan(flags: AssumeFlags, env: NodeJS.ProcessEnv = process.env): AssumePlan {
  if (flags.source !== undefined && !(DETECTION_ORDER as readonly string[]).includes(flags.source)) {
    throw inputError(`--source ${flags.source}: expected one of ${DETECTION_ORDER.join(", ")}`);
  }
  const source = chooseTokenSource(
    { source: flags.source as SourceName | undefined, fromFile: flags.fromFile, fromEnv: flags.fromEnv },
    systemSourceEnvironment(flags.ca === undefined ? {} : { ca: readCa(flags.ca) }),
  );
  let duration: number | undefined;
  if (flags.duration !== undefined) {
    duration = Number(flags.duration);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
      throw inputError(`--duration ${flags.duration}: AWS accepts 900 to 43200 seconds`);
    }
  }
  // Checked here, before any token is fetched: a request-URL source would mint (and audit) a token
  // for a request that cannot be made.
  if (flags.roleArn !== undefined) validateRoleArn(flags.roleArn, "--role-arn");
  if (flags.externalId.length > 1 && flags.externalId.length !== flags.chainRoleArn.length) {
    throw inputError(
      `--external-id: give one for all hops or one per --chain-role-arn (${flags.chainRoleArn.length})`,
    );
  }
  const chain: ChainStep[] = flags.chainRoleArn.map((arn, i) => ({
    roleArn: validateRoleArn(arn, "--chain-role-arn"),
    externalId: flags.externalId.length === 1 ? flags.externalId[0] : flags.externalId[i],
  }));
  for (const id of flags.allowedAccountId)
    if (!isAccountId(id)) throw inputError(`--allowed-account-id ${id}: expected 12 digits`);
  const endpoint = flags.endpointUrl ?? env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL;
  if (endpoint !== undefined) {
    try {
      new URL(endpoint);
    } catch {
      throw inputError(`--endpoint-url ${endpoint} is not a URL`);
    }
  }
  return {
    source,
    audience: flags.audience,
    roleArn: flags.roleArn,
    chain,
    sessionName: flags.sessionName,
    durationSeconds: duration,
    policy: flags.policy === undefined ? undefined : readPolicy(flags.policy),
    policyArns: flags.policyArn,
    allowedAccounts: flags.allowedAccountId,
    target: { region: flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1", endpoint },
    env,
  };
}

export function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileErrorFrom(error, "--ca", path, "give a readable PEM certificate file");
  }
}

function readPolicy(value: string): string {
  const text = value.trimStart().startsWith("{") ? value : readFile(value);
  try {
    JSON.parse(text);
  } catch {
    throw inputError(`--policy ${value.length > 40 ? `${value.slice(0, 40)}…` : value}: not valid JSON`);
  }
  return text;
}

function readFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw fileErrorFrom(error, "--policy", path, "give the session policy as JSON text or a readable file");
  }
}

/**
 * The analyst's explanation of a refused web-identity exchange, as text for people (against the keyless
 * emulator: the role's trust policy evaluated with the token; against AWS: the claims STS compared and
 * the likely causes); undefined for any other error or when the analyst cannot say. The analyst is
 * loaded on a refusal only: it brings the policy engine and the explain report with it.
 */
export async function refusalExplanation(error: unknown, plan: AssumePlan): Promise<string | undefined> {
  if (!(error instanceof StsError && error.code === "ERR_STS_REFUSED" && error.exchange !== undefined))
    return undefined;
  const { explainRefusal } = await import("../analysis/explain/refusal.js");
  const diagnosis = await explainRefusal({
    awsCode: error.awsCode,
    message: (error.cause as Error | undefined)?.message ?? error.message,
    ...error.exchange,
    endpoint: plan.target.endpoint,
    region: plan.target.region,
  }).catch(() => undefined);
  return diagnosis?.text;
}

/**
 * On a refused web-identity exchange, writes the analyst's explanation of it to stderr, then rethrows
 * the failure for main.ts to report; anything else is rethrown as it is.
 */
export async function explainFailure(error: unknown, plan: AssumePlan): Promise<never> {
  const explanation = await refusalExplanation(error, plan);
  if (explanation !== undefined) process.stderr.write(explanation);
  throw error;
}
