/**
 * What `keyless init aws` needs from a platform: the scope a trust policy can pin (from what the
 * platform really puts in its tokens), the IAM OIDC provider to register, and the narrowest trust
 * statement for one role. Each platform record carries its recipe; this file holds their shared shapes.
 */

/** Every scope flag of the command; each platform takes a subset. */
export const SCOPE_FLAGS = {
  issuer: "issuer URL (keyless: required; gitlab: self-managed instance; tfc: Terraform Enterprise)",
  audience:
    "the audience the pipeline requests, when the platform lets you choose (google: the OAuth client id or service account unique id)",
  organization: "organization / owner / group / account name",
  "organization-id":
    "immutable organization id (env0 organizationId, Buildkite organization_id, CircleCI org id)",
  "organization-subject": "env0: the organization's subject, auth0|<24 hex>",
  project: "project (keyless, tfc, gitlab) or project id (circleci)",
  "project-id": "immutable project id (env0 projectId, GitLab project_id, CircleCI project id)",
  environment: "environment (keyless; github deployment environment)",
  "environment-id": "env0 environmentId",
  workspace: "HCP Terraform workspace",
  repository: "GitHub repository name",
  "repository-id": "GitHub repository_id",
  "owner-id": "GitHub repository_owner_id",
  "namespace-id": "GitLab namespace_id",
  "space-path": "Spacelift space path (/root/…), with the {spacePath} subject template",
  space: "Spacelift space id (default subject template)",
  stack: "Spacelift stack id",
  pipeline: "Buildkite pipeline slug",
  step: "Buildkite step key",
  "vcs-origin": "CircleCI vcs-origin, e.g. github.com/acme/app",
  branch: "branch the role is for (default main)",
  subject: "google: the account's sub (a service account's unique id)",
  "identity-pool-id": "cognito: the identity pool id, <region>:<uuid>",
} as const;
export type ScopeFlag = keyof typeof SCOPE_FLAGS;
export type Scope = Partial<Record<ScopeFlag, string>>;

export type Phase = "plan" | "apply";

/** A condition block in IAM's JSON shape. */
export type Conditions = Record<string, Record<string, string | string[]>>;

export interface TrustStatementSpec {
  readonly actions: readonly string[];
  readonly conditions: Conditions;
  /** Why each condition is there, for the comments of every output form. */
  readonly why: readonly string[];
}

export interface InitRecipe {
  readonly required: readonly ScopeFlag[];
  readonly optional: readonly ScopeFlag[];
  /** Platforms whose runs have a read-only phase get a plan role and an apply role. */
  readonly phased: boolean;
  /** The exact issuer URL (`iss`): path and trailing slash count. */
  issuer(scope: Scope): string;
  /** The provider's client-id list: the audience(s) tokens carry (env0: the azp). */
  audience(scope: Scope): string;
  trust(scope: Scope, ctx: { prefix: string; phase?: Phase; sessionTags: boolean }): TrustStatementSpec;
  /** How the pipeline gets its token and uses the role(s), for the notes. */
  usage(scope: Scope, roles: { phase?: Phase; arn: string }[]): string[];
  /** Findings of `keyless lint` that cannot be avoided with the given scope, and why (empty: clean). */
  unavoidable(scope: Scope): readonly { rule: string; why: string }[];
  /** The platform's own rules on the scope's values: the first problem, or undefined. */
  check?(scope: Scope): string | undefined;
  /** Why `--session-tags` is refused although the platform's tags are opt-in, and what to do instead. */
  readonly sessionTagsRefused?: string;
}

export const WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity";
export const TAG_SESSION = "sts:TagSession";
export const branchOf = (scope: Scope): string => scope.branch ?? "main";
