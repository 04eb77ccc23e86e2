import { createHash } from "node:crypto";
import type { Environment, Organization, ProfileName, Project, Run } from "../model.js";
import type { SubjectVariables } from "./subject.js";

/**
 * Compatibility profiles: each emits one platform's claim set, `sub` shape, default audience and
 * issuer-URL form (ci-platforms.md §2–6), so trust policies written for that platform work unchanged
 * against our tokens. `keyless` is our own shape: every run attribute as its own claim.
 *
 * Keyless's model maps onto each platform as: organization → org/account/group, project →
 * project/space/repository, environment → environment/stack/workspace, phase → run phase/type.
 * Platform-specific values the model lacks come from run attributes (documented in docs/issuer.md).
 */
export interface ClaimContext {
  readonly organization: Organization;
  readonly project: Project;
  readonly environment: Environment;
  readonly run: Run;
}

export interface Profile {
  readonly name: ProfileName;
  /** The platform's issuer URL form (exact: env0's has a trailing slash). */
  issuer(org: Organization, serverIssuer: string): string;
  /** Where the JWKS lives, relative to the issuer (the discovery document points there). */
  readonly jwksPath: string;
  defaultAudience(org: Organization): string;
  readonly defaultLifetimeSeconds: number;
  /** Placeholders the subject template may use. */
  readonly placeholders: readonly string[];
  defaultTemplate(ctx: ClaimContext): string;
  variables(ctx: ClaimContext): SubjectVariables;
  /** The platform's claims besides iss, sub, aud, iat, nbf, exp, jti. */
  claims(ctx: ClaimContext, template: string): Record<string, unknown>;
  /** Whether tokens carry `jti` (Auth0-minted env0 tokens do not). */
  readonly jti: boolean;
  /** Session tags the platform always sends (env0), whatever the organization's opt-in. */
  readonly fixedSessionTags?: { readonly keys: readonly string[]; readonly transitive: readonly string[] };
}

const attr = (ctx: ClaimContext, key: string): string | undefined => ctx.run.attributes[key];
const opt = (org: Organization, key: string): string | undefined => org.settings.profileOptions[key];
const ref = (ctx: ClaimContext): string => attr(ctx, "ref") ?? "";
const refType = (r: string): "tag" | "branch" => (r.startsWith("refs/tags/") ? "tag" : "branch");
const refName = (r: string): string => r.replace(/^refs\/(heads|tags)\//, "");

/** Claim names keyless itself emits; run attributes may not take them. */
export const KEYLESS_CLAIMS = [
  "organization",
  "organization_id",
  "project",
  "project_id",
  "environment",
  "environment_id",
  "run_id",
  "phase",
  "deployer",
] as const;

const keyless: Profile = {
  name: "keyless",
  issuer: (_org, serverIssuer) => serverIssuer,
  jwksPath: "/.well-known/jwks",
  defaultAudience: () => "sts.amazonaws.com",
  defaultLifetimeSeconds: 900,
  placeholders: [...KEYLESS_CLAIMS, "ref", "commit", "trigger"],
  defaultTemplate: () => "org:{organization}:project:{project}:env:{environment}:phase:{phase}",
  variables: ({ organization, project, environment, run }) => ({
    organization: { value: organization.name, id: organization.id },
    organization_id: { value: organization.id },
    project: { value: project.name, id: project.id },
    project_id: { value: project.id },
    environment: { value: environment.name, id: environment.id },
    environment_id: { value: environment.id },
    run_id: { value: run.id },
    phase: { value: run.phase },
    deployer: { value: run.deployer },
    ref: { value: run.attributes.ref ?? "" },
    commit: { value: run.attributes.commit ?? "" },
    trigger: { value: run.attributes.trigger ?? "" },
  }),
  claims: ({ organization, project, environment, run }) => ({
    ...run.attributes,
    organization: organization.name,
    organization_id: organization.id,
    project: project.name,
    project_id: project.id,
    environment: environment.name,
    environment_id: environment.id,
    run_id: run.id,
    phase: run.phase,
    deployer: run.deployer,
  }),
  jti: true,
};

/** The Auth0 client id env0's IAM providers register as audience (it is the token's `azp`). */
export const ENV0_CLIENT_ID = "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b";
const ENV0_CLAIMS = [
  "apiKeyType",
  "organization",
  "organizationId",
  "projectId",
  "projectName",
  "templateId",
  "templateName",
  "environmentId",
  "environmentName",
  "workspaceName",
  "deploymentLogId",
  "deploymentType",
  "deployerEmail",
  "env0Tag",
] as const;

/** env0's organization subject `auth0|<24 hex>`: configured, or derived stably from the organization id. */
function env0Subject(org: Organization): string {
  return opt(org, "subject") ?? createHash("sha256").update(`env0:${org.id}`).digest("hex").slice(0, 24);
}

const env0DeploymentType = (phase: string): string =>
  ({ plan: "prPlan", apply: "deploy", destroy: "destroy" })[phase] ?? phase;

const env0: Profile = {
  name: "env0",
  issuer: () => "https://login.app.env0.com/",
  jwksPath: "/.well-known/jwks.json",
  defaultAudience: () => "https://prod.env0.com",
  defaultLifetimeSeconds: 24 * 3600,
  placeholders: ["org_subject"],
  defaultTemplate: () => "auth0|{org_subject}",
  variables: ({ organization }) => ({ org_subject: { value: env0Subject(organization) } }),
  claims: (ctx) => {
    const { organization, project, environment, run } = ctx;
    const values: Record<(typeof ENV0_CLAIMS)[number], string> = {
      apiKeyType: "oidc",
      organization: organization.name,
      organizationId: organization.id,
      projectId: project.id,
      projectName: project.name,
      templateId: attr(ctx, "templateId") ?? environment.id,
      templateName: attr(ctx, "templateName") ?? environment.name,
      environmentId: environment.id,
      environmentName: environment.name,
      workspaceName: attr(ctx, "workspaceName") ?? environment.name,
      deploymentLogId: attr(ctx, "deploymentLogId") ?? run.id,
      deploymentType: env0DeploymentType(run.phase),
      deployerEmail: run.deployer,
      env0Tag: attr(ctx, "env0Tag") ?? "",
    };
    const namespaced = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [`https://env0.com/${k}`, v]),
    );
    return {
      ...values,
      ...namespaced,
      azp: opt(organization, "clientId") ?? ENV0_CLIENT_ID,
      gty: "password",
    };
  },
  jti: false,
  fixedSessionTags: {
    keys: [
      "organizationId",
      "projectId",
      "templateId",
      "environmentId",
      "deployerEmail",
      "deploymentType",
      "env0Tag",
    ],
    transitive: [],
  },
};

const spaceliftAccount = (org: Organization): string => opt(org, "account") ?? org.name;
const spaceliftRunType = (phase: string): string =>
  ({ plan: "PROPOSED", apply: "TRACKED", destroy: "DESTROY", test: "TESTING" })[phase] ?? "TASK";

const spacelift: Profile = {
  name: "spacelift",
  issuer: (org) => `https://${spaceliftAccount(org)}.app.spacelift.io`,
  jwksPath: "/.well-known/jwks",
  defaultAudience: (org) => `${spaceliftAccount(org)}.app.spacelift.io`,
  defaultLifetimeSeconds: 3600,
  placeholders: ["spaceId", "spacePath", "callerType", "callerId", "runId", "runType", "scope"],
  defaultTemplate: () => "space:{spaceId}:{callerType}:{callerId}:run_type:{runType}:scope:{scope}",
  variables: (ctx) => {
    const c = spaceliftClaims(ctx);
    return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, { value: v }]));
  },
  claims: (ctx, template) => {
    const { spacePath, ...rest } = spaceliftClaims(ctx);
    // Spacelift adds spacePath only when the subject template uses it.
    return template.includes("{spacePath}") ? { ...rest, spacePath } : rest;
  },
  jti: true,
};

function spaceliftClaims(ctx: ClaimContext): Record<string, string> {
  const runType = attr(ctx, "runType") ?? spaceliftRunType(ctx.run.phase);
  return {
    spaceId: ctx.project.name,
    spacePath: attr(ctx, "spacePath") ?? `/root/${ctx.project.name}`,
    callerType: attr(ctx, "callerType") ?? "stack",
    callerId: ctx.environment.name,
    runType,
    runId: ctx.run.id,
    // "read" for proposed runs and plans, else "write" (Spacelift calls it advisory).
    scope: attr(ctx, "scope") ?? (runType === "PROPOSED" || ctx.run.phase === "plan" ? "read" : "write"),
  };
}

const tfc: Profile = {
  name: "tfc",
  issuer: (org) => (opt(org, "hostname") ? `https://${opt(org, "hostname")}` : "https://app.terraform.io"),
  jwksPath: "/.well-known/jwks",
  defaultAudience: () => "aws.workload.identity",
  defaultLifetimeSeconds: 3600,
  placeholders: [
    "organization",
    "project",
    "workspace",
    "run_phase",
    "organization_id",
    "project_id",
    "workspace_id",
  ],
  defaultTemplate: () =>
    "organization:{organization}:project:{project}:workspace:{workspace}:run_phase:{run_phase}",
  variables: ({ organization, project, environment, run }) => ({
    organization: { value: organization.name, id: organization.id },
    project: { value: project.name, id: project.id },
    workspace: { value: environment.name, id: environment.id },
    run_phase: { value: run.phase },
    organization_id: { value: organization.id },
    project_id: { value: project.id },
    workspace_id: { value: environment.id },
  }),
  claims: ({ organization, project, environment, run }) => ({
    terraform_organization_id: organization.id,
    terraform_organization_name: organization.name,
    terraform_project_id: project.id,
    terraform_project_name: project.name,
    terraform_workspace_id: environment.id,
    terraform_workspace_name: environment.name,
    terraform_full_workspace: `organization:${organization.name}:project:${project.name}:workspace:${environment.name}`,
    terraform_run_id: run.id,
    terraform_run_phase: run.phase,
  }),
  jti: true,
};

const githubClaims = (ctx: ClaimContext): Record<string, string> => {
  const { organization, project, run } = ctx;
  const r = ref(ctx);
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
};

const github: Profile = {
  name: "github",
  issuer: (org) =>
    opt(org, "enterpriseSlug")
      ? `https://token.actions.githubusercontent.com/${opt(org, "enterpriseSlug")}`
      : "https://token.actions.githubusercontent.com",
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
    const c = githubClaims(ctx);
    return {
      owner: { value: ctx.organization.name, id: c.repository_owner_id! },
      repo: { value: ctx.project.name, id: c.repository_id! },
      environment: { value: c.environment ?? "" },
      ref: { value: c.ref! },
      event_name: { value: c.event_name! },
    };
  },
  claims: (ctx) => githubClaims(ctx),
  jti: true,
};

const gitlabClaims = (ctx: ClaimContext): Record<string, string> => {
  const { organization, project, environment, run } = ctx;
  const r = ref(ctx);
  const projectPath = `${organization.name}/${project.name}`;
  const host = (opt(organization, "instance") ?? "https://gitlab.com").replace(/^https:\/\//, "");
  return {
    namespace_id: organization.id,
    namespace_path: organization.name,
    project_id: project.id,
    project_path: projectPath,
    user_id: attr(ctx, "user_id") ?? "",
    user_login: attr(ctx, "user_login") ?? run.deployer,
    user_email: attr(ctx, "user_email") ?? run.deployer,
    pipeline_id: attr(ctx, "pipeline_id") ?? run.id,
    pipeline_source: attr(ctx, "trigger") ?? "push",
    job_id: run.id,
    ref: refName(r),
    ref_type: refType(r),
    ref_path: r,
    ref_protected: attr(ctx, "ref_protected") ?? "false",
    environment: environment.name,
    environment_protected: attr(ctx, "environment_protected") ?? "false",
    deployment_tier: attr(ctx, "deployment_tier") ?? "other",
    runner_id: attr(ctx, "runner_id") ?? "",
    runner_environment: attr(ctx, "runner_environment") ?? "self-hosted",
    sha: attr(ctx, "commit") ?? "",
    ci_config_ref_uri: `${host}/${projectPath}//.gitlab-ci.yml@${r}`,
    ci_config_sha: attr(ctx, "commit") ?? "",
  };
};

const gitlab: Profile = {
  name: "gitlab",
  issuer: (org) => opt(org, "instance") ?? "https://gitlab.com",
  jwksPath: "/oauth/discovery/keys",
  defaultAudience: (org) => opt(org, "instance") ?? "https://gitlab.com",
  defaultLifetimeSeconds: 300,
  placeholders: ["project_path", "project_id", "ref_type", "ref"],
  defaultTemplate: () => "project_path:{project_path}:ref_type:{ref_type}:ref:{ref}",
  variables: (ctx) => {
    const c = gitlabClaims(ctx);
    return {
      project_path: { value: c.project_path! },
      project_id: { value: c.project_id! },
      ref_type: { value: c.ref_type! },
      ref: { value: c.ref! },
    };
  },
  claims: (ctx) => gitlabClaims(ctx),
  jti: true,
};

export const PROFILE: Readonly<Record<ProfileName, Profile>> = {
  keyless,
  env0,
  spacelift,
  tfc,
  github,
  gitlab,
};
