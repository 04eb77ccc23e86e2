import { keyValueLayout, renderTemplate } from "./grammar.js";
import { NO_PROVIDER_KEYS } from "./provider-keys.js";
import { TAG_SESSION, WEB_IDENTITY } from "./recipe.js";
import type { Platform, SubjectFieldSpec } from "./types.js";

/**
 * keyless's own issuer (docs/issuer.md in this repository): every run attribute as its own claim, one
 * issuer URL per installation (the server's), AWS STS as the default audience. Keyless's model maps onto
 * the other platforms' as: organization → org/account/group, project → project/space/repository,
 * environment → environment/stack/workspace, phase → run phase/type.
 */

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

const DEFAULT_AUDIENCE = "sts.amazonaws.com";
const TEMPLATE = "org:{organization}:project:{project}:env:{environment}:phase:{phase}";

/**
 * The subject's keys are `org`, `project`, `env` and `phase` (the default template). The issuer is per
 * installation (not shared), so `org` is a tenant only in the sense of naming the customer inside it.
 */
const SPECS: readonly SubjectFieldSpec[] = [
  { name: "org", role: "tenant", fallback: "acme" },
  { name: "project", role: "project", fallback: "app" },
  { name: "env", role: "project", fallback: "production" },
  {
    name: "phase",
    role: "dimension",
    fallback: "apply",
    alternatives: ["plan", "apply"],
    readOnlyPhase: true,
  },
];

/** The keyless issuer's default subject, as `keyless init aws` writes it and the linter reads it. */
export function keylessSubject(v: {
  organization: string;
  project: string;
  environment: string;
  phase: string;
}): string {
  return renderTemplate(TEMPLATE, v);
}

export const keyless: Platform = {
  id: "keyless",
  title: "keyless issuer",
  kind: "ci",
  issuer: {
    // One URL per installation: the server's own (`keyless serve --issuer`).
    hosts: [],
    matches: () => false,
    iamScopedKeys: [],
  },
  audiences: [DEFAULT_AUDIENCE],
  subject: {
    defaultTemplate: TEMPLATE,
    parse: (pattern) => keyValueLayout(pattern, SPECS, ":", { allowLeadingWildcard: false }),
  },
  claims: KEYLESS_CLAIMS,
  sessionTags: { mode: "opt-in", keys: [], transitive: [] },
  providerKeys: NO_PROVIDER_KEYS,
  profile: {
    issuer: (_org, serverIssuer) => serverIssuer,
    jwksPath: "/.well-known/jwks",
    defaultAudience: () => DEFAULT_AUDIENCE,
    defaultLifetimeSeconds: 900,
    placeholders: [...KEYLESS_CLAIMS, "ref", "commit", "trigger"],
    defaultTemplate: () => TEMPLATE,
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
  },
  tokenSource: {
    description: "keyless issuer",
    request: {
      urlVariable: "KEYLESS_ID_TOKEN_REQUEST_URL",
      tokenVariable: "KEYLESS_ID_TOKEN_REQUEST_TOKEN",
      lifetimeParameter: "lifetime",
    },
    requirement: "KEYLESS_ID_TOKEN_REQUEST_URL and KEYLESS_ID_TOKEN_REQUEST_TOKEN",
  },
  runner: {
    roleVariables: ["KEYLESS_ROLE_ARN"],
    phaseClaims: ["phase"],
    runIdClaims: ["run_id"],
  },
  init: {
    required: ["issuer", "organization", "project", "environment"],
    optional: ["audience"],
    phased: true,
    issuer: (s) => s.issuer!,
    audience: (s) => s.audience ?? DEFAULT_AUDIENCE,
    trust: (s, { prefix, phase, sessionTags }) => ({
      actions: sessionTags ? [WEB_IDENTITY, TAG_SESSION] : [WEB_IDENTITY],
      conditions: {
        StringEquals: {
          [`${prefix}:aud`]: s.audience ?? DEFAULT_AUDIENCE,
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
        `sub: the issuer's default template ${TEMPLATE}, pinned to one environment and the ${phase ?? "apply"} phase.`,
        sessionTags
          ? "sts:TagSession: the organization opted in to AWS session tags, so STS checks it too."
          : "No sts:TagSession: the issuer sends session tags only when the organization opts in (then rerun with --session-tags).",
      ],
    }),
    usage: (s, roles) => [
      "Start each run with `keyless run start --phase plan|apply` (it prints the job's token source); in the job, `keyless assume` (or `keyless exec`) with the plan role for plan and the apply role for apply, e.g. `--role-arn` or `keyless run start --role-arn`.",
      ...roles.map((r) => `${r.phase ?? "run"}: ${r.arn}`),
      `Tokens must come from ${s.issuer} with audience ${s.audience ?? DEFAULT_AUDIENCE}.`,
    ],
    unavoidable: () => [],
  },
  lint: {
    // One keyless server signs for all its organizations with one issuer URL, so `org` names the
    // tenant as GitHub's owner does.
    sharedIssuer: true,
    tenancyClaims: ["sub"],
  },
};
