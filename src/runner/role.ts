import { errorKind } from "../lib/errors.js";

/**
 * Which role to assume, and under what session name, from flags, the platforms' own variables and the
 * token's claims. Precedence: --role-arn, then KEYLESS_ROLE_ARN, then env0's ENV0_AWS_ROLE_ARN, then
 * HCP Terraform's TFC_AWS_PLAN_ROLE_ARN / TFC_AWS_APPLY_ROLE_ARN by the run's phase, falling back to
 * TFC_AWS_RUN_ROLE_ARN, when TFC_AWS_PROVIDER_AUTH is "true" (the same rules HCP Terraform's own
 * provider auth applies; the phase comes from the token's terraform_run_phase claim).
 */
export class RoleSelectionError extends errorKind("ERR_ROLE", "input") {}

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

export interface RoleChoice {
  readonly roleArn: string;
  /** Where it came from, for the log line. */
  readonly from: string;
}

/** The run's phase from the token: HCP Terraform's terraform_run_phase, keyless's phase. */
export function runPhase(claims: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of ["terraform_run_phase", "phase", "run_phase"]) {
    const value = claims[key];
    if (typeof value === "string") return value;
  }
  return undefined;
}

export function selectRole(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  claims: Readonly<Record<string, unknown>>,
): RoleChoice {
  const candidates: [string | undefined, string][] = [
    [flag, "--role-arn"],
    [env.KEYLESS_ROLE_ARN, "KEYLESS_ROLE_ARN"],
    [env.ENV0_AWS_ROLE_ARN, "ENV0_AWS_ROLE_ARN"],
  ];
  // HCP Terraform's dynamic provider credentials: its role variables count only when enabled.
  if (env.TFC_AWS_PROVIDER_AUTH === "true") {
    const phase = runPhase(claims) ?? env.TFC_RUN_PHASE;
    if (phase === "plan") candidates.push([env.TFC_AWS_PLAN_ROLE_ARN, "TFC_AWS_PLAN_ROLE_ARN (plan phase)"]);
    if (phase === "apply")
      candidates.push([env.TFC_AWS_APPLY_ROLE_ARN, "TFC_AWS_APPLY_ROLE_ARN (apply phase)"]);
    candidates.push([env.TFC_AWS_RUN_ROLE_ARN, "TFC_AWS_RUN_ROLE_ARN"]);
  }
  for (const [value, from] of candidates) {
    if (!value) continue;
    if (!ROLE_ARN.test(value))
      throw new RoleSelectionError(
        `${from} is not a role ARN: "${value}" (expected arn:aws:iam::<12 digits>:role/<name>)`,
      );
    return { roleArn: value, from };
  }
  throw new RoleSelectionError(
    "no role to assume: pass --role-arn, or set KEYLESS_ROLE_ARN (or ENV0_AWS_ROLE_ARN, TFC_AWS_RUN_ROLE_ARN / TFC_AWS_PLAN_ROLE_ARN / TFC_AWS_APPLY_ROLE_ARN)",
  );
}

export function validateRoleArn(value: string, what: string): string {
  if (!ROLE_ARN.test(value)) throw new RoleSelectionError(`${what} is not a role ARN: "${value}"`);
  return value;
}

/**
 * A RoleSessionName valid by construction ([\w+=,.@-], 2–64 characters): from the flag as given (it
 * must already be valid), else from the run (keyless run id, GitHub run id, env0 deployment, HCP
 * Terraform run), characters outside the set replaced by "-", cut to 64.
 */
export const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export function sessionName(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  claims: Readonly<Record<string, unknown>>,
): string {
  if (flag !== undefined) {
    if (!SESSION_NAME.test(flag))
      throw new RoleSelectionError(
        `--session-name "${flag}" is not valid: 2 to 64 characters of letters, digits and +=,.@_-`,
      );
    return flag;
  }
  const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);
  const run =
    str(claims.run_id) ??
    str(claims.runId) ??
    str(claims.terraform_run_id) ??
    (env.GITHUB_RUN_ID ? `GitHubActions-${env.GITHUB_RUN_ID}` : undefined) ??
    (env.ENV0_DEPLOYMENT_LOG_ID ? `env0-${env.ENV0_DEPLOYMENT_LOG_ID}` : undefined) ??
    (env.SPACELIFT_RUN_ID ? `spacelift-${env.SPACELIFT_RUN_ID}` : undefined) ??
    str(claims.jti);
  const base = run ?? `keyless-${Date.now()}`;
  const cleaned = base.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  return cleaned.length >= 2 ? cleaned : `keyless-${cleaned}`;
}
