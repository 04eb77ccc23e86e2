import { keylessSubject } from "../lint/subjects.js";

/**
 * What `keyless init aws` knows about each platform: the scope a trust policy can pin (from what the
 * platform really puts in its tokens, ci-platforms.md §2–8 and the issuer's `keyless` profile), the IAM
 * OIDC provider to register, and the narrowest trust statement for one role.
 */
export const INIT_PLATFORMS = [
  "keyless",
  "env0",
  "spacelift",
  "tfc",
  "github",
  "gitlab",
  "buildkite",
  "circleci",
] as const;
export type InitPlatform = (typeof INIT_PLATFORMS)[number];

export function isInitPlatform(value: string): value is InitPlatform {
  return (INIT_PLATFORMS as readonly string[]).includes(value);
}

/** Every scope flag of the command; each platform takes a subset. */
export const SCOPE_FLAGS = {
  issuer: "issuer URL (keyless: required; gitlab: self-managed instance; tfc: Terraform Enterprise)",
  audience: "the audience the pipeline requests, when the platform lets you choose",
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

export interface PlatformSpec {
  readonly id: InitPlatform;
  readonly title: string;
  readonly required: readonly ScopeFlag[];
  readonly optional: readonly ScopeFlag[];
  /** Platforms whose runs have a read-only phase get a plan role and an apply role. */
  readonly phased: boolean;
  /** `always`: every token carries session tags (needs sts:TagSession); `opt-in`: only with --session-tags. */
  readonly sessionTags: "always" | "opt-in" | "never";
  /** The exact issuer URL (`iss`): path and trailing slash count. */
  issuer(scope: Scope): string;
  /** The provider's client-id list: the audience(s) tokens carry (env0: the azp). */
  audience(scope: Scope): string;
  trust(scope: Scope, ctx: { prefix: string; phase?: Phase; sessionTags: boolean }): TrustStatementSpec;
  /** How the pipeline gets its token and uses the role(s), for the notes. */
  usage(scope: Scope, roles: { phase?: Phase; arn: string }[]): string[];
  /** Findings of `keyless lint` that cannot be avoided with the given scope, and why (empty: clean). */
  unavoidable(scope: Scope): readonly { rule: string; why: string }[];
}

const WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity";
const TAG_SESSION = "sts:TagSession";
const branchOf = (scope: Scope) => scope.branch ?? "main";

const keyless: PlatformSpec = {
  id: "keyless",
  title: "keyless issuer",
  required: ["issuer", "organization", "project", "environment"],
  optional: ["audience"],
  phased: true,
  sessionTags: "opt-in",
  issuer: (s) => s.issuer!,
  audience: (s) => s.audience ?? "sts.amazonaws.com",
  trust: (s, { prefix, phase, sessionTags }) => ({
    actions: sessionTags ? [WEB_IDENTITY, TAG_SESSION] : [WEB_IDENTITY],
    conditions: {
      StringEquals: {
        [`${prefix}:aud`]: s.audience ?? "sts.amazonaws.com",
        [`${prefix}:sub`]: keylessSubject({
          organization: s.organization!,
          project: s.project!,
          environment: s.environment!,
          phase: phase ?? "apply",
        }),
      },
    },
    why: [
      "aud: only tokens minted for AWS STS (the issuer's default audience).",
      `sub: the issuer's default template org:{organization}:project:{project}:env:{environment}:phase:{phase}, pinned to one environment and the ${phase ?? "apply"} phase.`,
      sessionTags
        ? "sts:TagSession: the organization opted in to AWS session tags, so STS checks it too."
        : "No sts:TagSession: the issuer sends session tags only when the organization opts in (then rerun with --session-tags).",
    ],
  }),
  usage: (s, roles) => [
    "The keyless runner picks the role by phase: `keyless run` with the plan role for plan and the apply role for apply.",
    ...roles.map((r) => `${r.phase ?? "run"}: ${r.arn}`),
    `Tokens must come from ${s.issuer} with audience ${s.audience ?? "sts.amazonaws.com"}.`,
  ],
  unavoidable: () => [],
};

const ENV0_CLIENT_ID = "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b";
const env0: PlatformSpec = {
  id: "env0",
  title: "env0",
  required: ["organization-subject", "organization-id"],
  optional: ["project-id", "environment-id", "audience"],
  phased: false,
  sessionTags: "always",
  issuer: () => "https://login.app.env0.com/",
  audience: (s) => s.audience ?? ENV0_CLIENT_ID,
  trust: (s, { prefix }) => {
    const tags: Record<string, string> = { "aws:RequestTag/organizationId": s["organization-id"]! };
    if (s["project-id"]) tags["aws:RequestTag/projectId"] = s["project-id"];
    if (s["environment-id"]) tags["aws:RequestTag/environmentId"] = s["environment-id"];
    return {
      actions: [WEB_IDENTITY, TAG_SESSION],
      conditions: {
        StringEquals: {
          [`${prefix}:aud`]: s.audience ?? ENV0_CLIENT_ID,
          [`${prefix}:sub`]: s["organization-subject"]!,
          ...tags,
        },
      },
      why: [
        "aud: env0's Auth0 client id, which is the token's azp (AWS matches azp, not the URL aud).",
        "sub: env0's subject is one value per organization (auth0|…): it cannot tell projects apart.",
        "aws:RequestTag/organizationId: env0's own advice, always gate on the organization id session tag.",
        ...(s["project-id"] ? ["aws:RequestTag/projectId: only this project."] : []),
        ...(s["environment-id"] ? ["aws:RequestTag/environmentId: only this environment."] : []),
        "Never gate on env0Tag: it is a free-form string anyone in any organization can set.",
        "sts:TagSession: env0 puts session tags in every token, so STS checks it too.",
      ],
    };
  },
  usage: (_s, roles) => [
    "In env0, create an AWS OIDC credential with this role ARN and a duration of 1 hour (3600 s), or set ENV0_AWS_ROLE_ARN per environment.",
    ...roles.map((r) => `role: ${r.arn}`),
  ],
  unavoidable: () => [],
};

const spacelift: PlatformSpec = {
  id: "spacelift",
  title: "Spacelift",
  required: ["organization", "stack"],
  optional: ["space-path", "space"],
  phased: false,
  sessionTags: "never",
  issuer: (s) => `https://${s.organization}.app.spacelift.io`,
  audience: (s) => `${s.organization}.app.spacelift.io`,
  trust: (s, { prefix }) => {
    const where = s["space-path"] ? `space_path:${s["space-path"]}` : `space:${s.space}`;
    return {
      actions: [WEB_IDENTITY],
      conditions: {
        StringEquals: {
          [`${prefix}:aud`]: `${s.organization}.app.spacelift.io`,
          [`${prefix}:sub`]: `${where}:stack:${s.stack}:run_type:TRACKED:scope:write`,
        },
      },
      why: [
        "aud: Spacelift's fixed audience, the account host name.",
        s["space-path"]
          ? "sub: needs the subject template space_path:{spacePath}:{callerType}:{callerId}:run_type:{runType}:scope:{scope} (Spacelift organization settings): the space path is unique where space slugs are not."
          : "sub: the default subject; the space slug is not unique across the space tree (use --space-path with a subject template to fix that).",
        "run_type:TRACKED and scope:write: tracked runs only, never proposed runs from pull requests.",
        "No sts:TagSession: Spacelift tokens carry no session tags.",
      ],
    };
  },
  usage: (_s, roles) => [
    "Attach the role to the stack through Spacelift's AWS integration, or use /mnt/workspace/spacelift.oidc as web_identity_token_file.",
    ...roles.map((r) => `role: ${r.arn}`),
  ],
  unavoidable: (s) =>
    s["space-path"]
      ? []
      : [
          {
            rule: "OIDC-017",
            why: "the default Spacelift subject names the space by slug, which is not unique; pass --space-path and configure the subject template to remove this",
          },
        ],
};

const tfc: PlatformSpec = {
  id: "tfc",
  title: "HCP Terraform",
  required: ["organization", "workspace"],
  optional: ["project", "issuer", "audience"],
  phased: true,
  sessionTags: "never",
  issuer: (s) => s.issuer ?? "https://app.terraform.io",
  audience: (s) => s.audience ?? "aws.workload.identity",
  trust: (s, { prefix, phase }) => ({
    actions: [WEB_IDENTITY],
    conditions: {
      StringEquals: {
        [`${prefix}:aud`]: s.audience ?? "aws.workload.identity",
        [`${prefix}:sub`]: `organization:${s.organization}:project:${s.project ?? "Default Project"}:workspace:${s.workspace}:run_phase:${phase ?? "apply"}`,
      },
    },
    why: [
      "aud: the audience HCP Terraform requests for AWS (TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE, default aws.workload.identity).",
      `sub: one organization, project and workspace, run_phase ${phase ?? "apply"} only.`,
      "No sts:TagSession: HCP Terraform tokens carry no session tags.",
    ],
  }),
  usage: (_s, roles) => [
    "Workspace variables: TFC_AWS_PROVIDER_AUTH=true, and the role for each phase:",
    ...roles.map((r) => `TFC_AWS_${(r.phase ?? "run").toUpperCase()}_ROLE_ARN=${r.arn}`),
  ],
  unavoidable: () => [],
};

const github: PlatformSpec = {
  id: "github",
  title: "GitHub Actions",
  required: ["organization", "repository"],
  optional: ["branch", "environment", "owner-id", "repository-id", "audience"],
  phased: false,
  sessionTags: "never",
  issuer: () => "https://token.actions.githubusercontent.com",
  audience: (s) => s.audience ?? "sts.amazonaws.com",
  trust: (s, { prefix }) => {
    const context = s.environment ? `environment:${s.environment}` : `ref:refs/heads/${branchOf(s)}`;
    const ids: Record<string, string> = {};
    if (s["owner-id"]) ids[`${prefix}:repository_owner_id`] = s["owner-id"];
    if (s["repository-id"]) ids[`${prefix}:repository_id`] = s["repository-id"];
    return {
      actions: [WEB_IDENTITY],
      conditions: {
        StringEquals: {
          [`${prefix}:aud`]: s.audience ?? "sts.amazonaws.com",
          [`${prefix}:sub`]: `repo:${s.organization}/${s.repository}:${context}`,
          ...ids,
        },
      },
      why: [
        "aud: sts.amazonaws.com, what aws-actions/configure-aws-credentials requests.",
        s.environment
          ? `sub: jobs of this repository that use the ${s.environment} environment (GitHub puts the environment in sub when a job has one).`
          : `sub: pushes to ${branchOf(s)} of this repository only; a job that uses an environment gets another sub (then pass --environment).`,
        ...(Object.keys(ids).length > 0
          ? [
              "repository_owner_id / repository_id: immutable ids (AWS validates these GitHub keys), so a deleted or renamed name re-registered by someone else does not match.",
            ]
          : []),
        "No sts:TagSession: GitHub tokens carry no session tags.",
      ],
    };
  },
  usage: (_s, roles) => [
    "Workflow: permissions: id-token: write; aws-actions/configure-aws-credentials (or keyless run) with role-to-assume:",
    ...roles.map((r) => r.arn),
  ],
  unavoidable: (s) =>
    s["owner-id"] && s["repository-id"]
      ? []
      : [
          {
            rule: "OIDC-013",
            why: "without --owner-id and --repository-id the role pins the repository by name only",
          },
        ],
};

const GITLAB_COM = "https://gitlab.com";
const gitlab: PlatformSpec = {
  id: "gitlab",
  title: "GitLab CI",
  required: ["organization", "project"],
  optional: ["branch", "project-id", "namespace-id", "issuer", "audience"],
  phased: false,
  sessionTags: "never",
  issuer: (s) => s.issuer ?? GITLAB_COM,
  audience: (s) => s.audience ?? s.issuer ?? GITLAB_COM,
  trust: (s, { prefix }) => {
    const ids: Record<string, string> = {};
    const dotCom = (s.issuer ?? GITLAB_COM) === GITLAB_COM;
    if (dotCom && s["project-id"]) ids[`${prefix}:project_id`] = s["project-id"];
    if (dotCom && s["namespace-id"]) ids[`${prefix}:namespace_id`] = s["namespace-id"];
    return {
      actions: [WEB_IDENTITY],
      conditions: {
        StringEquals: {
          [`${prefix}:aud`]: s.audience ?? s.issuer ?? GITLAB_COM,
          [`${prefix}:sub`]: `project_path:${s.organization}/${s.project}:ref_type:branch:ref:${branchOf(s)}`,
          ...ids,
        },
      },
      why: [
        "aud: the audience of the job's id_tokens entry (GitLab's AWS guide uses the instance URL).",
        `sub: branch ${branchOf(s)} of this project only (ref_type pinned: a tag named ${branchOf(s)} does not match).`,
        ...(Object.keys(ids).length > 0
          ? [
              "project_id / namespace_id: immutable ids (gitlab.com keys AWS validates), so a re-registered path does not match.",
            ]
          : []),
        "No sts:TagSession: GitLab tokens carry no session tags.",
      ],
    };
  },
  usage: (s, roles) => [
    `.gitlab-ci.yml: id_tokens: { AWS_TOKEN: { aud: ${s.audience ?? s.issuer ?? GITLAB_COM} } }, then assume-role-with-web-identity with $AWS_TOKEN and:`,
    ...roles.map((r) => r.arn),
  ],
  unavoidable: (s) =>
    (s.issuer ?? GITLAB_COM) === GITLAB_COM && s["project-id"] && s["namespace-id"]
      ? []
      : [
          {
            rule: "OIDC-013",
            why:
              (s.issuer ?? GITLAB_COM) === GITLAB_COM
                ? "without --project-id and --namespace-id the role pins the project by path only"
                : "AWS has id condition keys for gitlab.com only: a self-managed instance's project is pinned by path",
          },
        ],
};

const buildkite: PlatformSpec = {
  id: "buildkite",
  title: "Buildkite",
  required: ["organization", "pipeline"],
  optional: ["branch", "step", "organization-id", "audience"],
  phased: false,
  sessionTags: "opt-in",
  issuer: () => "https://agent.buildkite.com",
  audience: (s) => s.audience ?? "sts.amazonaws.com",
  trust: (s, { prefix }) => {
    const orgId = s["organization-id"];
    return {
      actions: orgId ? [WEB_IDENTITY, TAG_SESSION] : [WEB_IDENTITY],
      conditions: {
        StringEquals: {
          [`${prefix}:aud`]: s.audience ?? "sts.amazonaws.com",
          ...(orgId ? { "aws:RequestTag/organization_id": orgId } : {}),
        },
        StringLike: {
          [`${prefix}:sub`]: `organization:${s.organization}:pipeline:${s.pipeline}:ref:refs/heads/${branchOf(s)}:commit:*:step:${s.step ?? "*"}`,
        },
      },
      why: [
        "aud: sts.amazonaws.com, requested with buildkite-agent oidc request-token --audience sts.amazonaws.com.",
        `sub: one pipeline, branch ${branchOf(s)}; the commit SHA is part of Buildkite's sub, so it is the one wildcard${s.step ? "" : " (with the step key: pass --step to pin it)"}.`,
        ...(orgId
          ? [
              "aws:RequestTag/organization_id: the immutable organization id, as a session tag the step requests (--claim organization_id --aws-session-tag organization_id); slugs can be re-registered.",
              "sts:TagSession: the token carries that session tag.",
            ]
          : [
              "No sts:TagSession: no session tags are requested (pass --organization-id to pin the organization by id).",
            ]),
      ],
    };
  },
  usage: (s, roles) => [
    `Step: buildkite-agent oidc request-token --audience ${s.audience ?? "sts.amazonaws.com"}${s["organization-id"] ? " --claim organization_id --aws-session-tag organization_id" : ""}, then assume:`,
    ...roles.map((r) => r.arn),
  ],
  unavoidable: (s) =>
    s["organization-id"]
      ? []
      : [{ rule: "OIDC-013", why: "without --organization-id the organization is pinned by its slug only" }],
};

const circleci: PlatformSpec = {
  id: "circleci",
  title: "CircleCI",
  required: ["organization-id", "project-id", "vcs-origin"],
  optional: ["branch", "audience"],
  phased: false,
  sessionTags: "never",
  issuer: (s) => `https://oidc.circleci.com/org/${s["organization-id"]}`,
  audience: (s) => s.audience ?? s["organization-id"]!,
  trust: (s, { prefix }) => ({
    actions: [WEB_IDENTITY],
    conditions: {
      StringEquals: { [`${prefix}:aud`]: s.audience ?? s["organization-id"]! },
      StringLike: {
        [`${prefix}:sub`]: `org/${s["organization-id"]}/project/${s["project-id"]}/user/*/vcs-origin/${s["vcs-origin"]}/vcs-ref/refs/heads/${branchOf(s)}`,
      },
    },
    why: [
      "aud: CircleCI's default audience, the organization id.",
      `sub: the v2 subject (CIRCLE_OIDC_TOKEN_V2): one project, its own repository (vcs-origin: not a fork) and branch ${branchOf(s)}; any user who triggers it (the one wildcard).`,
      "No sts:TagSession: CircleCI tokens carry no session tags.",
    ],
  }),
  usage: (_s, roles) => [
    "Job: use $CIRCLE_OIDC_TOKEN_V2 (the v2 subject) as the web identity token for:",
    ...roles.map((r) => r.arn),
  ],
  unavoidable: () => [],
};

export const PLATFORM_SPECS: Readonly<Record<InitPlatform, PlatformSpec>> = {
  keyless,
  env0,
  spacelift,
  tfc,
  github,
  gitlab,
  buildkite,
  circleci,
};
