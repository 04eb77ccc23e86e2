import { opt } from "./claims.js";
import { keyValueLayout } from "./grammar.js";
import { NO_PROVIDER_KEYS } from "./provider-keys.js";
import { WEB_IDENTITY } from "./recipe.js";
import type { Platform, SubjectFieldSpec } from "./types.js";

/**
 * HCP Terraform (Terraform Cloud) and Terraform Enterprise: issuer https://app.terraform.io (or the
 * Enterprise host), audience aws.workload.identity, `sub` organization:…:project:…:workspace:…:run_phase:…,
 * no session tags. Sources:
 * https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/workload-identity-tokens
 * https://developer.hashicorp.com/terraform/cloud-docs/dynamic-provider-credentials/aws-configuration
 */

const HOST = "app.terraform.io";
const ISSUER = `https://${HOST}`;
const DEFAULT_AUDIENCE = "aws.workload.identity";
const TEMPLATE = "organization:{organization}:project:{project}:workspace:{workspace}:run_phase:{run_phase}";

const SPECS: readonly SubjectFieldSpec[] = [
  { name: "organization", role: "tenant", fallback: "acme" },
  { name: "project", role: "project", fallback: "Default Project" },
  { name: "workspace", role: "project", fallback: "app" },
  {
    name: "run_phase",
    role: "dimension",
    fallback: "apply",
    alternatives: ["plan", "apply"],
    readOnlyPhase: true,
  },
];

export const tfc: Platform = {
  id: "tfc",
  title: "HCP Terraform",
  kind: "ci",
  issuer: {
    url: ISSUER,
    hosts: [HOST],
    matches: (host) => host === HOST,
    iamScopedKeys: [{ host: HOST, keys: ["sub"] }],
  },
  audiences: [DEFAULT_AUDIENCE],
  subject: {
    defaultTemplate: TEMPLATE,
    parse: (pattern) => keyValueLayout(pattern, SPECS, ":", { allowLeadingWildcard: false }),
  },
  claims: [
    "terraform_organization_id",
    "terraform_organization_name",
    "terraform_project_id",
    "terraform_project_name",
    "terraform_workspace_id",
    "terraform_workspace_name",
    "terraform_full_workspace",
    "terraform_run_id",
    "terraform_run_phase",
  ],
  sessionTags: { mode: "never", keys: [], transitive: [] },
  providerKeys: NO_PROVIDER_KEYS,
  profile: {
    issuer: (org) => (opt(org, "hostname") ? `https://${opt(org, "hostname")}` : ISSUER),
    jwksPath: "/.well-known/jwks",
    defaultAudience: () => DEFAULT_AUDIENCE,
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
    defaultTemplate: () => TEMPLATE,
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
  },
  tokenSource: {
    description: "HCP Terraform",
    variables: ["TFC_WORKLOAD_IDENTITY_TOKEN"],
    requirement: "TFC_WORKLOAD_IDENTITY_TOKEN",
  },
  runner: {
    // HCP Terraform's dynamic provider credentials: its role variables count only when enabled, a role
    // per phase falling back to the run role (the same rules HCP Terraform's own provider auth applies).
    phasedRoles: {
      enabledBy: { variable: "TFC_AWS_PROVIDER_AUTH", equals: "true" },
      phaseVariable: "TFC_RUN_PHASE",
      byPhase: { plan: "TFC_AWS_PLAN_ROLE_ARN", apply: "TFC_AWS_APPLY_ROLE_ARN" },
      fallback: "TFC_AWS_RUN_ROLE_ARN",
    },
    phaseClaims: ["terraform_run_phase", "run_phase"],
    runIdClaims: ["terraform_run_id"],
  },
  init: {
    required: ["organization", "workspace"],
    optional: ["project", "issuer", "audience"],
    phased: true,
    issuer: (s) => s.issuer ?? ISSUER,
    audience: (s) => s.audience ?? DEFAULT_AUDIENCE,
    trust: (s, { prefix, phase }) => ({
      actions: [WEB_IDENTITY],
      conditions: {
        StringEquals: {
          [`${prefix}:aud`]: s.audience ?? DEFAULT_AUDIENCE,
          [`${prefix}:sub`]: `organization:${s.organization}:project:${s.project ?? "Default Project"}:workspace:${s.workspace}:run_phase:${phase ?? "apply"}`,
        },
      },
      why: [
        `aud: the audience HCP Terraform requests for AWS (TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE, default ${DEFAULT_AUDIENCE}).`,
        `sub: one organization, project and workspace, run_phase ${phase ?? "apply"} only.`,
        "No sts:TagSession: HCP Terraform tokens carry no session tags.",
      ],
    }),
    usage: (_s, roles) => [
      "Workspace variables: TFC_AWS_PROVIDER_AUTH=true, and the role for each phase:",
      ...roles.map((r) => `TFC_AWS_${(r.phase ?? "run").toUpperCase()}_ROLE_ARN=${r.arn}`),
    ],
    unavoidable: () => [
      {
        rule: "OIDC-013",
        why: "AWS provides no workspace-id condition key for HCP Terraform: the workspace is pinned by name; limit who can create, rename and delete workspaces",
      },
    ],
  },
  lint: {
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    audienceHint: " (unless TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE is set to it)",
    // The token carries terraform_organization_id and terraform_workspace_id, but STS turns neither into
    // a condition key (NO_PROVIDER_KEYS), so `sub` can only name them. Organization names are global
    // and free again once deleted; a workspace name is free again inside the organization once the
    // workspace is deleted or renamed. Nothing in the policy can do better, so the note is `info`: what
    // is left to control is who may create workspaces, and never deleting the organization:
    // https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/permissions
    immutableIds: {
      claims: [],
      what: "the organization and workspace by name only; a deleted or renamed workspace can be re-created under the same name, and a deleted organization's name registered by anyone",
      advice: "Pin the workspace by its terraform_workspace_id once AWS provides it as a condition key.",
      withoutIdKey: {
        severity: "info",
        advice:
          "keep organization, project and workspace exact, limit who can create, rename and delete workspaces (the organization's and project's \"manage workspaces\" permissions), and never delete the organization.",
      },
    },
  },
};
