import { oidcProviderArn, roleArn } from "../../core/aws/arn.js";
import { isAccountId, isIamName } from "../../core/aws/identifiers.js";
import { errorKind } from "../../lib/errors.js";
import {
  INIT_PLATFORM_IDS,
  type InitRecipe,
  type Phase,
  type PlatformId,
  platformById,
  SCOPE_FLAGS,
  type Scope,
  type ScopeFlag,
} from "../../platforms/index.js";

/** A platform `keyless init aws` has a recipe for (the registry's records with `init`; the platforms
 * test checks that this type and the records agree). */
export type InitPlatform = Exclude<PlatformId, "kubernetes" | "bitbucket" | "facebook" | "amazon">;
export const INIT_PLATFORMS = INIT_PLATFORM_IDS as readonly InitPlatform[];
export function isInitPlatform(value: string): value is InitPlatform {
  return (INIT_PLATFORMS as readonly string[]).includes(value);
}
export { type Phase, SCOPE_FLAGS, type Scope, type ScopeFlag };

/** A platform's recipe with the record facts init also reads. */
interface PlatformSpec extends InitRecipe {
  readonly id: InitPlatform;
  readonly title: string;
  /** `always`: every token carries session tags (needs sts:TagSession); `opt-in`: only with --session-tags. */
  readonly sessionTags: "always" | "opt-in" | "never";
  /** One of AWS's built-in web identity providers (Google, Cognito): no IAM OIDC provider to write. */
  readonly builtin: boolean;
}

function specOf(id: InitPlatform): PlatformSpec {
  const platform = platformById(id);
  return {
    ...platform.init!,
    id,
    title: platform.title,
    sessionTags: platform.sessionTags.mode,
    builtin: platform.kind === "aws-builtin",
  };
}

/**
 * The model every output form renders: one IAM OIDC provider in the tooling account, one web-identity
 * role per phase there, and (multi-account, as in seed 003) one role per phase in each workload account
 * that trusts only the tooling role of the same phase through sts:AssumeRole.
 */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly Record<string, unknown>[];
}

export interface ProviderSpec {
  readonly url: string;
  /** The provider ARN's resource part and the condition-key prefix: the URL without `https://`. */
  readonly prefix: string;
  /** The provider's ARN, or for a built-in provider the bare host: what `Principal.Federated` names. */
  readonly arn: string;
  /**
   * AWS's built-in provider (accounts.google.com, cognito-identity.amazonaws.com): AWS needs no IAM OIDC
   * provider for it, so none is written
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html).
   */
  readonly builtin: boolean;
  readonly account: string;
  readonly clientIds: readonly string[];
  /** Empty by default: AWS validates OIDC providers with publicly trusted TLS against its CA store. */
  readonly thumbprints: readonly string[];
}

export interface RoleSpec {
  /** A stable identifier for Terraform/CloudFormation: letters, digits, underscores. */
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  readonly kind: "web-identity" | "chained";
  readonly phase?: Phase;
  readonly description: string;
  /** Why the trust policy is what it is, one sentence a line. */
  readonly why: readonly string[];
  readonly trustPolicy: PolicyDocument;
  /** Inline permissions keyless writes (only the chaining hop); deployment permissions are the user's. */
  readonly inlinePolicy?: { readonly name: string; readonly document: PolicyDocument };
  readonly maxSessionDuration: number;
}

export interface InitPlan {
  readonly platform: InitPlatform;
  readonly title: string;
  readonly provider: ProviderSpec;
  readonly roles: readonly RoleSpec[];
  /** How the pipeline uses what was written (README-like). */
  readonly usage: readonly string[];
  /** Lint findings the scope given cannot avoid, with why. */
  readonly unavoidable: readonly { rule: string; why: string }[];
}

export interface InitOptions {
  readonly platform: InitPlatform;
  readonly scope: Scope;
  readonly toolingAccount: string;
  readonly workloadAccounts: readonly string[];
  /** Role name prefix (default keyless-<platform>). */
  readonly name?: string;
  readonly thumbprints?: readonly string[];
  /** Opt-in session tags (keyless): adds sts:TagSession. */
  readonly sessionTags?: boolean;
  /** Limit a phased platform to one phase. */
  readonly phases?: readonly Phase[];
}

/** Bad options: the CLI turns this into one line and exit 2. */
export class InitError extends errorKind("ERR_INIT_INPUT", "input") {}

const THUMBPRINT = /^[0-9a-fA-F]{40}$/;
/** Scope values that hold structure of their own (URLs, paths) and are checked on their own. */
const FREE_FORM: readonly ScopeFlag[] = [
  "issuer",
  "space-path",
  "vcs-origin",
  "organization",
  "audience",
  "identity-pool-id",
];

export function buildPlan(options: InitOptions): InitPlan {
  const spec = specOf(options.platform);
  const scope = validateScope(spec, options.scope);
  if (!isAccountId(options.toolingAccount))
    throw new InitError(
      `--tooling-account must be a 12-digit AWS account id, not "${options.toolingAccount}"`,
    );
  for (const a of options.workloadAccounts) {
    if (!isAccountId(a))
      throw new InitError(`--workload-account must be a 12-digit AWS account id, not "${a}"`);
    if (a === options.toolingAccount)
      throw new InitError(
        `--workload-account ${a} is the tooling account: give workload accounts other than it`,
      );
  }
  if (new Set(options.workloadAccounts).size !== options.workloadAccounts.length)
    throw new InitError("--workload-account: each account once");
  const thumbprints = options.thumbprints ?? [];
  for (const t of thumbprints)
    if (!THUMBPRINT.test(t)) throw new InitError(`--thumbprint must be 40 hex digits (a SHA-1), not "${t}"`);
  if (options.sessionTags && spec.sessionTags !== "opt-in") {
    throw new InitError(
      spec.sessionTags === "always"
        ? `--session-tags: ${spec.title} always sends session tags; the trust already allows sts:TagSession`
        : `--session-tags: ${spec.title} tokens carry no session tags`,
    );
  }
  if (options.sessionTags && spec.sessionTagsRefused)
    throw new InitError(`--session-tags: ${spec.sessionTagsRefused}`);
  const prefixName = options.name ?? `keyless-${spec.id}`;
  if (options.phases && options.phases.length > 0 && !spec.phased)
    throw new InitError(`--phase: ${spec.title} runs have no plan/apply phases; one role is written`);
  const phases: (Phase | undefined)[] = spec.phased
    ? options.phases && options.phases.length > 0
      ? [...new Set(options.phases)]
      : ["plan", "apply"]
    : [undefined];

  const url = spec.issuer(scope);
  const prefix = url.replace(/^https:\/\//, "");
  const tooling = options.toolingAccount;
  const provider: ProviderSpec = {
    url,
    prefix,
    arn: spec.builtin ? prefix : oidcProviderArn(tooling, prefix),
    builtin: spec.builtin,
    account: tooling,
    clientIds: [spec.audience(scope)],
    thumbprints,
  };
  const multi = options.workloadAccounts.length > 0;
  const roles: RoleSpec[] = [];
  for (const phase of phases) {
    const suffix = phase ? `-${phase}` : "";
    const name = `${prefixName}${suffix}`;
    checkRoleName(name);
    const arn = roleArn({ account: tooling, name });
    const t = spec.trust(scope, { prefix, phase, sessionTags: options.sessionTags === true });
    const workloadName = `${prefixName}-workload${suffix}`;
    if (multi) checkRoleName(workloadName);
    const workloadArns = options.workloadAccounts.map((a) => roleArn({ account: a, name: workloadName }));
    const phaseText = phase ? ` (${phase} phase)` : "";
    roles.push({
      id: idOf(`tooling${phase ? `_${phase}` : ""}`),
      name,
      arn,
      account: tooling,
      kind: "web-identity",
      ...(phase ? { phase } : {}),
      description: `${spec.title} pipelines${phaseText} via OIDC (written by keyless init aws)`,
      why: t.why,
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: sidOf(`${spec.id}-${phase ?? "oidc"}`),
            Effect: "Allow",
            Principal: { Federated: provider.arn },
            Action: t.actions.length === 1 ? t.actions[0] : [...t.actions],
            Condition: t.conditions,
          },
        ],
      },
      ...(multi
        ? {
            inlinePolicy: {
              name: "assume-workload-roles",
              document: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Sid: "ChainToWorkloadAccounts",
                    Effect: "Allow",
                    Action: "sts:AssumeRole",
                    Resource: workloadArns,
                  },
                ],
              },
            },
          }
        : {}),
      maxSessionDuration: 3600,
    });
    for (const account of options.workloadAccounts) {
      roles.push({
        id: idOf(`workload_${account}${phase ? `_${phase}` : ""}`),
        name: workloadName,
        arn: roleArn({ account, name: workloadName }),
        account,
        kind: "chained",
        ...(phase ? { phase } : {}),
        description: `Deployments into ${account}${phaseText}, reached from ${name} in the tooling account`,
        why: [
          `Principal: only the role ${arn}, which only ${spec.title} tokens can assume.`,
          "sts:AssumeRole only: the chained call passes no session tags (the platform's tags are not transitive), so no sts:TagSession.",
          "A chained session lasts at most 1 hour whatever MaxSessionDuration says.",
        ],
        trustPolicy: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "FromToolingRole",
              Effect: "Allow",
              Principal: { AWS: arn },
              Action: "sts:AssumeRole",
            },
          ],
        },
        maxSessionDuration: 3600,
      });
    }
  }
  const entry = roles.filter((r) => r.kind === "web-identity").map((r) => ({ phase: r.phase, arn: r.arn }));
  const usage = [...spec.usage(scope, entry)];
  if (multi) {
    usage.push(
      `Then chain into a workload account with sts:AssumeRole on arn:aws:iam::<account>:role/${prefixName}-workload${spec.phased ? "-<phase>" : ""} (an AWS profile with role_arn and source_profile, or the Terraform provider's assume_role block).`,
    );
  }
  return {
    platform: spec.id,
    title: spec.title,
    provider,
    roles,
    usage,
    unavoidable: spec.unavoidable(scope),
  };
}

function validateScope(spec: PlatformSpec, scope: Scope): Scope {
  const allowed = new Set<ScopeFlag>([...spec.required, ...spec.optional]);
  for (const [flag, value] of Object.entries(scope) as [ScopeFlag, string | undefined][]) {
    if (value === undefined) continue;
    if (!(flag in SCOPE_FLAGS)) throw new InitError(`unknown scope --${flag}`);
    if (!allowed.has(flag))
      throw new InitError(
        `--${flag} is not a scope of ${spec.title}; it takes ${[...allowed].map((f) => `--${f}`).join(", ")}`,
      );
    if (value.trim() === "") throw new InitError(`--${flag} must not be empty`);
    // Least privilege means exact values: a wildcard would widen the trust (or, under StringEquals, be
    // compared literally and lock the pipeline out).
    if (value.includes("*") || value.includes("?"))
      throw new InitError(`--${flag} "${value}": wildcards are not allowed; give the exact value`);
    if (!FREE_FORM.includes(flag) && value.includes(":"))
      throw new InitError(
        `--${flag} "${value}": ":" separates the fields of the subject; it cannot be in a value`,
      );
    if (/["\\\n$`]/.test(value))
      throw new InitError(
        `--${flag} "${value}": quotes, backslashes, "$", backticks and newlines are not allowed`,
      );
  }
  for (const flag of spec.required)
    if (scope[flag] === undefined)
      throw new InitError(`${spec.title} needs --${flag} (${SCOPE_FLAGS[flag]})`);
  if (scope.issuer !== undefined) {
    let url: URL;
    try {
      url = new URL(scope.issuer);
    } catch {
      throw new InitError(`--issuer "${scope.issuer}" is not a URL`);
    }
    if (url.protocol !== "https:" || url.search || url.hash || url.username)
      throw new InitError(
        `--issuer "${scope.issuer}": IAM needs an https:// URL without query, fragment or user`,
      );
  }
  const problem = spec.check?.(scope);
  if (problem) throw new InitError(problem);
  if (scope.organization?.includes(":"))
    throw new InitError(`--organization "${scope.organization}": ":" separates the fields of the subject`);
  return scope;
}

function checkRoleName(name: string): void {
  if (!isIamName(name))
    throw new InitError(
      `role name "${name}" is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)`,
    );
}

const idOf = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_");
const sidOf = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : ""))
    .join("");
