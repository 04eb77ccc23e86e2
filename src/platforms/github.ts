import { attr, opt, refType } from "./claims.js";
import { STS_CONDITION_KEYS, sameAsClaim } from "./provider-keys.js";
import { branchOf, WEB_IDENTITY } from "./recipe.js";
import type { ClaimContext, Platform, SubjectFieldSpec, SubjectLayout } from "./types.js";

/**
 * GitHub Actions: one issuer for every customer (https://token.actions.githubusercontent.com, or
 * `/<enterprise slug>` with a custom issuer; `token.actions.<slug>.ghe.com` on GHE.com), `sub`
 * `repo:<owner>/<repo>:<context>`, no session tags. Sources:
 * https://docs.github.com/en/actions/reference/security/oidc (claims, subject forms)
 * https://docs.github.com/en/actions/deployment/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
 * https://github.blog/changelog/2026-04-23-immutable-subject-claims-for-github-actions-oidc-tokens/
 */

const HOST = "token.actions.githubusercontent.com";
const ISSUER = `https://${HOST}`;
const STS = "sts.amazonaws.com";

const CLAIMS = [
  "actor",
  "actor_id",
  "base_ref",
  "event_name",
  "head_ref",
  "job_workflow_ref",
  "job_workflow_sha",
  "ref",
  "ref_type",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "repository_visibility",
  "run_attempt",
  "run_id",
  "run_number",
  "runner_environment",
  "sha",
  "workflow",
  "workflow_ref",
  "workflow_sha",
  "environment",
  "enterprise_id",
] as const;

function claimsOf(ctx: ClaimContext): Record<string, string> {
  const { organization, project, run } = ctx;
  const r = attr(ctx, "ref") ?? "";
  const repository = `${organization.name}/${project.name}`;
  const workflowFile = attr(ctx, "workflow_file") ?? ".github/workflows/deploy.yml";
  const workflowRef = `${repository}/${workflowFile}@${r}`;
  const env = attr(ctx, "deployment_environment");
  return {
    actor: run.deployer,
    actor_id: attr(ctx, "actor_id") ?? "",
    base_ref: attr(ctx, "base_ref") ?? "",
    event_name: attr(ctx, "trigger") ?? "push",
    head_ref: attr(ctx, "head_ref") ?? "",
    job_workflow_ref: attr(ctx, "job_workflow_ref") ?? workflowRef,
    job_workflow_sha: attr(ctx, "commit") ?? "",
    ref: r,
    ref_type: refType(r),
    repository,
    repository_id: attr(ctx, "repository_id") ?? project.id,
    repository_owner: organization.name,
    repository_owner_id: attr(ctx, "repository_owner_id") ?? organization.id,
    repository_visibility: attr(ctx, "repository_visibility") ?? "private",
    run_attempt: attr(ctx, "run_attempt") ?? "1",
    run_id: run.id,
    run_number: attr(ctx, "run_number") ?? "1",
    runner_environment: attr(ctx, "runner_environment") ?? "self-hosted",
    sha: attr(ctx, "commit") ?? "",
    workflow: attr(ctx, "workflow") ?? "deploy",
    workflow_ref: workflowRef,
    workflow_sha: attr(ctx, "commit") ?? "",
    ...(env !== undefined ? { environment: env } : {}),
  };
}

const SPECS: readonly SubjectFieldSpec[] = [
  { name: "owner", role: "tenant", fallback: "octo-org" },
  { name: "repository", role: "project", fallback: "app" },
  {
    name: "context",
    role: "context",
    fallback: "ref:refs/heads/main",
    untrusted: ["pull_request"],
    others: ["ref:refs/heads/zz-feature", "ref:refs/tags/zz-tag", "environment:zz-env"],
  },
];

/** `repo:<owner>/<repo>:<context>`; a customised subject has another shape (undefined). */
function parse(pattern: string): SubjectLayout | undefined {
  if (!pattern.startsWith("repo:")) return undefined;
  const rest = pattern.slice("repo:".length);
  const slash = rest.indexOf("/");
  const colon = rest.indexOf(":");
  let owner: string | undefined;
  let repo: string | undefined;
  let context: string | undefined;
  if (slash >= 0 && (colon < 0 || slash < colon)) {
    owner = rest.slice(0, slash);
    const after = rest.slice(slash + 1);
    const c = after.indexOf(":");
    repo = c < 0 ? after : after.slice(0, c);
    context = c < 0 ? undefined : after.slice(c + 1);
  } else {
    owner = colon < 0 ? rest : rest.slice(0, colon);
    context = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  return {
    specs: SPECS,
    written: new Map([
      ["owner", owner],
      ["repository", repo],
      ["context", context],
    ]),
    render: (v) => `repo:${v.get("owner")}/${v.get("repository")}:${v.get("context")}`,
  };
}

export const github: Platform = {
  id: "github",
  title: "GitHub Actions",
  kind: "ci",
  issuer: {
    url: ISSUER,
    hosts: [HOST, "oidc-configuration.audit-log.githubusercontent.com"],
    matches: (host) =>
      host === HOST ||
      host === "vstoken.actions.githubusercontent.com" ||
      (host.startsWith("token.actions.") && host.endsWith(".ghe.com")),
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
    iamScopedKeys: [
      { host: HOST, keys: ["sub", "job_workflow_ref"] },
      { host: "oidc-configuration.audit-log.githubusercontent.com", keys: ["sub"] },
      { host: "vstoken.actions.githubusercontent.com", keys: ["sub"] },
    ],
    deadHosts: [{ host: "vstoken.actions.githubusercontent.com", replacement: HOST }],
  },
  audiences: [STS, "sts.amazonaws.com.cn"],
  subject: { defaultTemplate: "repo:{owner}/{repo}:ref:{ref}", parse },
  claims: CLAIMS,
  sessionTags: { mode: "never", keys: [], transitive: [] },
  // For token.actions.githubusercontent.com (with or without an enterprise path) and GHE.com's
  // token.actions.<x>.ghe.com.
  providerKeys: {
    source: STS_CONDITION_KEYS,
    hosts: [HOST, "token.actions.*.ghe.com"],
    keys: sameAsClaim(
      "actor",
      "actor_id",
      "enterprise_id",
      "environment",
      "job_workflow_ref",
      "ref",
      "repository",
      "repository_id",
      "repository_owner_id",
      "workflow",
    ),
  },
  profile: {
    issuer: (org) => (opt(org, "enterpriseSlug") ? `${ISSUER}/${opt(org, "enterpriseSlug")}` : ISSUER),
    jwksPath: "/.well-known/jwks",
    defaultAudience: (org) => `https://github.com/${org.name}`,
    defaultLifetimeSeconds: 300,
    placeholders: ["owner", "repo", "environment", "ref", "event_name"],
    // GitHub's rule: an environment wins, then pull requests, then the ref. `immutableSubject=true` gives
    // the 2026 `repo:<org>@<id>/<repo>@<id>:…` form.
    defaultTemplate: (ctx) => {
      const immutable = opt(ctx.organization, "immutableSubject") === "true";
      const repo = immutable ? "repo:{owner@id}/{repo@id}" : "repo:{owner}/{repo}";
      if (attr(ctx, "deployment_environment") !== undefined) return `${repo}:environment:{environment}`;
      if (attr(ctx, "trigger") === "pull_request") return `${repo}:pull_request`;
      return `${repo}:ref:{ref}`;
    },
    variables: (ctx) => {
      const c = claimsOf(ctx);
      return {
        owner: { value: ctx.organization.name, id: c.repository_owner_id! },
        repo: { value: ctx.project.name, id: c.repository_id! },
        environment: { value: c.environment ?? "" },
        ref: { value: c.ref! },
        event_name: { value: c.event_name! },
      };
    },
    claims: (ctx) => claimsOf(ctx),
    jti: true,
  },
  tokenSource: {
    description: "GitHub Actions",
    request: {
      urlVariable: "ACTIONS_ID_TOKEN_REQUEST_URL",
      tokenVariable: "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
      defaultAudience: STS,
    },
    requirement:
      "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (permissions: id-token: write)",
  },
  runner: {
    runIdClaims: ["run_id"],
    runIdVariable: { variable: "GITHUB_RUN_ID", prefix: "GitHubActions-" },
  },
  init: {
    required: ["organization", "repository"],
    optional: ["branch", "environment", "owner-id", "repository-id", "audience"],
    phased: false,
    issuer: () => ISSUER,
    audience: (s) => s.audience ?? STS,
    trust: (s, { prefix }) => {
      const context = s.environment ? `environment:${s.environment}` : `ref:refs/heads/${branchOf(s)}`;
      const ids: Record<string, string> = {};
      if (s["owner-id"]) ids[`${prefix}:repository_owner_id`] = s["owner-id"];
      if (s["repository-id"]) ids[`${prefix}:repository_id`] = s["repository-id"];
      return {
        actions: [WEB_IDENTITY],
        conditions: {
          StringEquals: {
            [`${prefix}:aud`]: s.audience ?? STS,
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
      "Workflow: permissions: id-token: write; aws-actions/configure-aws-credentials (or `keyless assume --role-arn`) with role-to-assume:",
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
  },
  lint: {
    sharedIssuer: true,
    tenancyClaims: ["sub", "job_workflow_ref"],
    audienceHint:
      " (bad when the workflow requests the sts.amazonaws.com audience, configure-aws-credentials' default)",
    controlled: { claims: ["workflow"] },
    // A job that uses an environment gets `environment` and `sub` repo:<owner>/<repo>:environment:<name>.
    contextClaim: {
      claim: "environment",
      subjectTemplate: "repo:{owner}/{repository}:environment:{environment}",
    },
    immutableIds: {
      claims: ["repository_owner_id", "repository_id"],
      what: "the owner and repository by name only; a deleted or renamed name can be registered by someone else",
      advice:
        "Use the immutable subject repo:{owner}@<owner-id>/{repository}@<repo-id>:… or add StringEquals {repository_owner_id} and {repository_id}.",
      withoutIdKey: {
        severity: "low",
        advice: "keep the repository exact and guard the organization's name (no deletion or rename).",
      },
    },
    ownerBoundSubjectKeys: [
      "repo",
      "repository",
      "repository_id",
      "repository_owner",
      "repository_owner_id",
      "enterprise",
      "enterprise_id",
    ],
  },
};
