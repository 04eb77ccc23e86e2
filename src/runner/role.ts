import { parseRoleArn } from "../core/aws/arn.js";
import { isRoleSessionName } from "../core/aws/identifiers.js";
import { errorKind } from "../lib/errors.js";
import { PLATFORMS } from "../platforms/index.js";

/**
 * Which role to assume, and under what session name, from flags, the platforms' own variables and the
 * token's claims (each platform record's `runner` facts, src/platforms/). Precedence: --role-arn, then
 * the platforms' role variables in registry order (keyless's, env0's), then a role per run phase where a
 * platform's provider auth is enabled (HCP Terraform: the plan or apply role by the run's phase, falling
 * back to its run role, the same rules HCP Terraform's own provider auth applies).
 */
export class RoleSelectionError extends errorKind("ERR_ROLE", "input") {}

export interface RoleChoice {
  readonly roleArn: string;
  /** Where it came from, for the log line. */
  readonly from: string;
}

/** The run's phase from the token: HCP Terraform's terraform_run_phase, keyless's phase. */
export function runPhase(claims: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of PLATFORMS.flatMap((p) => p.runner?.phaseClaims ?? [])) {
    const value = claims[key];
    if (typeof value === "string") return value;
  }
  return undefined;
}

/** The platforms' role variables, in precedence order (for help texts). */
export const ROLE_VARIABLES: readonly string[] = PLATFORMS.flatMap((p) => [
  ...(p.runner?.roleVariables ?? []),
  ...(p.runner?.phasedRoles
    ? [...Object.values(p.runner.phasedRoles.byPhase), p.runner.phasedRoles.fallback]
    : []),
]);

export function selectRole(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  claims: Readonly<Record<string, unknown>>,
): RoleChoice {
  const candidates: [string | undefined, string][] = [[flag, "--role-arn"]];
  for (const p of PLATFORMS)
    for (const variable of p.runner?.roleVariables ?? []) candidates.push([env[variable], variable]);
  for (const p of PLATFORMS) {
    const phased = p.runner?.phasedRoles;
    if (!phased) continue;
    // Its role variables count only when the platform's provider auth is enabled.
    const on = env[phased.enabledBy.variable];
    if (!on || (phased.enabledBy.equals !== undefined && on !== phased.enabledBy.equals)) continue;
    const phase = runPhase(claims) ?? env[phased.phaseVariable];
    const byPhase =
      phase !== undefined && Object.hasOwn(phased.byPhase, phase) ? phased.byPhase[phase] : undefined;
    if (byPhase) candidates.push([env[byPhase], `${byPhase} (${phase} phase)`]);
    candidates.push([env[phased.fallback], phased.fallback]);
  }
  for (const [value, from] of candidates) {
    if (!value) continue;
    if (!parseRoleArn(value))
      throw new RoleSelectionError(
        `${from} is not a role ARN: "${value}" (expected arn:aws:iam::<12 digits>:role/<name>)`,
      );
    return { roleArn: value, from };
  }
  const [first, ...others] = PLATFORMS.flatMap((p) => p.runner?.roleVariables ?? []);
  const phased = PLATFORMS.flatMap((p) =>
    p.runner?.phasedRoles
      ? [[p.runner.phasedRoles.fallback, ...Object.values(p.runner.phasedRoles.byPhase)].join(" / ")]
      : [],
  );
  throw new RoleSelectionError(
    `no role to assume: pass --role-arn, or set ${first} (or ${[...others, ...phased].join(", ")})`,
  );
}

export function validateRoleArn(value: string, what: string): string {
  if (!parseRoleArn(value))
    throw new RoleSelectionError(
      `${what} is not a role ARN: "${value}" (expected arn:aws:iam::<12 digits>:role/<name>)`,
    );
  return value;
}

/**
 * A RoleSessionName valid by construction ([\w+=,.@-], 2–64 characters): from the flag as given (it
 * must already be valid), else from the run (the platforms' run-id claims, then their run-id
 * variables, then the token's jti), characters outside the set replaced by "-", cut to 64.
 */
export function sessionName(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  claims: Readonly<Record<string, unknown>>,
): string {
  if (flag !== undefined) {
    if (!isRoleSessionName(flag))
      throw new RoleSelectionError(
        `--session-name "${flag}" is not valid: 2 to 64 characters of letters, digits and +=,.@_-`,
      );
    return flag;
  }
  const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);
  const run =
    PLATFORMS.flatMap((p) => p.runner?.runIdClaims ?? [])
      .map((claim) => str(claims[claim]))
      .find((v) => v !== undefined) ??
    PLATFORMS.map((p) => p.runner?.runIdVariable)
      .map((v) => (v && env[v.variable] ? `${v.prefix}${env[v.variable]}` : undefined))
      .find((v) => v !== undefined) ??
    str(claims.jti);
  const base = run ?? `keyless-${Date.now()}`;
  const cleaned = base.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  return cleaned.length >= 2 ? cleaned : `keyless-${cleaned}`;
}
