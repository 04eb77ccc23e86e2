import { createHash } from "node:crypto";
import { attr, opt } from "./claims.js";
import { NO_PROVIDER_KEYS } from "./provider-keys.js";
import { TAG_SESSION, WEB_IDENTITY } from "./recipe.js";
import type { ClaimContext, Platform, SubjectLayout } from "./types.js";

/**
 * env0: tokens minted by env0's Auth0 tenant, one issuer for every customer, `sub` constant per
 * organisation (`auth0|<24 hex>`), the Auth0 client id as `azp`, and session tags in every token since
 * 2023. Source: env0's OIDC documentation, "OIDC with AWS" (https://docs.env0.com/, Integrations → OIDC),
 * and the issuer's discovery document https://login.app.env0.com/.well-known/openid-configuration.
 */

const ISSUER = "https://login.app.env0.com/";
const HOST = "login.app.env0.com";
/** The Auth0 client id env0's IAM providers register as audience (it is the token's `azp`). */
export const ENV0_CLIENT_ID = "hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b";

const CLAIMS = [
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

/** The session tags every env0 token carries (none transitive). */
const TAGS = [
  "organizationId",
  "projectId",
  "templateId",
  "environmentId",
  "deployerEmail",
  "deploymentType",
  "env0Tag",
] as const;

/** env0's organization subject `auth0|<24 hex>`: configured, or derived stably from the organization id. */
function env0Subject(org: ClaimContext["organization"]): string {
  return opt(org, "subject") ?? createHash("sha256").update(`env0:${org.id}`).digest("hex").slice(0, 24);
}

const deploymentType = (phase: string): string =>
  ({ plan: "prPlan", apply: "deploy", destroy: "destroy" })[phase] ?? phase;

const FALLBACK_SUBJECT = "auth0|000000000000000000000000";
function parse(pattern: string): SubjectLayout | undefined {
  if (!pattern.startsWith("auth0|") && pattern !== "*") return undefined;
  return {
    specs: [{ name: "organization", role: "tenant", fallback: FALLBACK_SUBJECT }],
    written: new Map([["organization", pattern]]),
    render: (v) => v.get("organization")!,
  };
}

export const env0: Platform = {
  id: "env0",
  title: "env0",
  kind: "ci",
  issuer: {
    url: ISSUER,
    hosts: [HOST],
    matches: (host) => host === HOST,
    // Not among IAM's controlled shared issuers: its `sub` is per organisation.
    iamScopedKeys: [],
  },
  audiences: [ENV0_CLIENT_ID],
  subject: { defaultTemplate: "auth0|{org_subject}", parse },
  claims: CLAIMS,
  sessionTags: { mode: "always", keys: TAGS, transitive: [] },
  providerKeys: NO_PROVIDER_KEYS,
  profile: {
    issuer: () => ISSUER,
    jwksPath: "/.well-known/jwks.json",
    defaultAudience: () => "https://prod.env0.com",
    defaultLifetimeSeconds: 24 * 3600,
    placeholders: ["org_subject"],
    defaultTemplate: () => "auth0|{org_subject}",
    variables: ({ organization }) => ({ org_subject: { value: env0Subject(organization) } }),
    claims: (ctx) => {
      const { organization, project, environment, run } = ctx;
      const values: Record<(typeof CLAIMS)[number], string> = {
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
        deploymentType: deploymentType(run.phase),
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
  },
  tokenSource: {
    description: "env0",
    variables: ["ENV0_OIDC_TOKEN"],
    requirement: "ENV0_OIDC_TOKEN",
  },
  runner: {
    roleVariables: ["ENV0_AWS_ROLE_ARN"],
    runIdVariable: { variable: "ENV0_DEPLOYMENT_LOG_ID", prefix: "env0-" },
  },
  init: {
    required: ["organization-subject", "organization-id"],
    optional: ["project-id", "environment-id", "audience"],
    phased: false,
    issuer: () => ISSUER,
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
    check: (s) =>
      /^auth0\|[0-9a-f]{24}$/.test(s["organization-subject"]!)
        ? undefined
        : `--organization-subject "${s["organization-subject"]}": env0's subject looks like auth0|632b8219674bde0224a96141 (decode a token or see env0's guide)`,
    usage: (_s, roles) => [
      "In env0, create an AWS OIDC credential with this role ARN and a duration of 1 hour (3600 s), or set ENV0_AWS_ROLE_ARN per environment.",
      ...roles.map((r) => `role: ${r.arn}`),
    ],
    unavoidable: () => [],
  },
  lint: {
    // One issuer for every env0 customer; `sub` is constant per organisation.
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    audienceHint: " (AWS matches env0's azp, the client id, not the token's URL aud)",
    controlled: { tags: ["env0Tag"] },
    tenantTag: "organizationId",
    controlledAdvice:
      "Never gate on env0Tag: pin {sub} and aws:RequestTag/organizationId, then projectId or environmentId.",
  },
};
