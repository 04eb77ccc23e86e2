import { attr, opt } from "./claims.js";
import { keyValueLayout } from "./grammar.js";
import { NO_PROVIDER_KEYS } from "./provider-keys.js";
import { WEB_IDENTITY } from "./recipe.js";
import type { ClaimContext, Platform, SubjectFieldSpec } from "./types.js";

/**
 * Spacelift: one issuer per account (`https://<account>.app.spacelift.io`), the account host as the
 * audience, a configurable subject template, no session tags. Source:
 * https://docs.spacelift.io/integrations/cloud-providers/oidc/aws-oidc and
 * https://docs.spacelift.io/integrations/cloud-providers/oidc (token claims, subject templates).
 */

const DOMAIN = "app.spacelift.io";
const TOKEN_FILE = "/mnt/workspace/spacelift.oidc";

const account = (org: ClaimContext["organization"]): string => opt(org, "account") ?? org.name;
const runTypeOf = (phase: string): string =>
  ({ plan: "PROPOSED", apply: "TRACKED", destroy: "DESTROY", test: "TESTING" })[phase] ?? "TASK";

function claimsOf(ctx: ClaimContext): Record<string, string> {
  const runType = attr(ctx, "runType") ?? runTypeOf(ctx.run.phase);
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

const SPECS: readonly SubjectFieldSpec[] = [
  { name: "space", role: "project", fallback: "root" },
  { name: "space_path", role: "project", fallback: "/root", optional: true },
  { name: "stack", role: "project", fallback: "app", aliases: ["module"] },
  { name: "run_type", role: "context", fallback: "TRACKED", untrusted: ["PROPOSED"], others: ["TASK"] },
  { name: "scope", role: "dimension", fallback: "write", alternatives: ["read", "write"] },
];

const TEMPLATE = "space:{spaceId}:{callerType}:{callerId}:run_type:{runType}:scope:{scope}";

export const spacelift: Platform = {
  id: "spacelift",
  title: "Spacelift",
  kind: "ci",
  issuer: {
    hosts: [DOMAIN],
    matches: (host) => host.endsWith(`.${DOMAIN}`),
    iamScopedKeys: [],
  },
  audiences: [],
  subject: {
    defaultTemplate: TEMPLATE,
    parse: (pattern) => keyValueLayout(pattern, SPECS, ":", { allowLeadingWildcard: true }),
  },
  claims: ["spaceId", "spacePath", "callerType", "callerId", "runType", "runId", "scope"],
  sessionTags: { mode: "never", keys: [], transitive: [] },
  providerKeys: NO_PROVIDER_KEYS,
  profile: {
    issuer: (org) => `https://${account(org)}.${DOMAIN}`,
    jwksPath: "/.well-known/jwks",
    defaultAudience: (org) => `${account(org)}.${DOMAIN}`,
    defaultLifetimeSeconds: 3600,
    placeholders: ["spaceId", "spacePath", "callerType", "callerId", "runId", "runType", "scope"],
    defaultTemplate: () => TEMPLATE,
    variables: (ctx) => {
      const c = claimsOf(ctx);
      return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, { value: v }]));
    },
    claims: (ctx, template) => {
      const { spacePath, ...rest } = claimsOf(ctx);
      // Spacelift adds spacePath only when the subject template uses it.
      return template.includes("{spacePath}") ? { ...rest, spacePath } : rest;
    },
    jti: true,
  },
  tokenSource: {
    description: "Spacelift",
    variables: ["SPACELIFT_OIDC_TOKEN"],
    files: [{ path: TOKEN_FILE, description: "Spacelift" }],
    requirement: `SPACELIFT_OIDC_TOKEN or ${TOKEN_FILE}`,
  },
  runner: {
    runIdClaims: ["runId"],
    runIdVariable: { variable: "SPACELIFT_RUN_ID", prefix: "spacelift-" },
  },
  init: {
    required: ["organization", "stack"],
    optional: ["space-path", "space"],
    phased: false,
    issuer: (s) => `https://${s.organization}.${DOMAIN}`,
    audience: (s) => `${s.organization}.${DOMAIN}`,
    trust: (s, { prefix }) => {
      const where = s["space-path"] ? `space_path:${s["space-path"]}` : `space:${s.space}`;
      return {
        actions: [WEB_IDENTITY],
        conditions: {
          StringEquals: {
            [`${prefix}:aud`]: `${s.organization}.${DOMAIN}`,
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
      `Attach the role to the stack through Spacelift's AWS integration, or use ${TOKEN_FILE} as web_identity_token_file.`,
      ...roles.map((r) => `role: ${r.arn}`),
    ],
    check: (s) => {
      if ((s.space === undefined) === (s["space-path"] === undefined))
        return "Spacelift needs one of --space-path (recommended, with a subject template) or --space";
      if (s["space-path"] !== undefined && !/^\/root(\/[\w-]+)*$/.test(s["space-path"]))
        return `--space-path "${s["space-path"]}" must look like /root/production/eu-west-1`;
      // The account name is a DNS label of the issuer's host.
      if (!/^[a-z0-9-]+$/.test(s.organization!))
        return `--organization "${s.organization}": the Spacelift account name as in <name>.${DOMAIN}`;
      return undefined;
    },
    unavoidable: (s) => [
      {
        rule: "OIDC-013",
        why: "AWS provides no stack-id condition key for Spacelift: the stack is pinned by its slug; limit who administers the space",
      },
      ...(s["space-path"]
        ? []
        : [
            {
              rule: "OIDC-017",
              why: "the default Spacelift subject names the space by slug, which is not unique; pass --space-path and configure the subject template to remove this",
            },
          ]),
    ],
  },
  lint: {
    sharedIssuer: false,
    tenancyClaims: ["sub"],
    audienceIsProviderKey: true,
    nonUniqueField: {
      field: "space",
      what: "space slug",
      advice:
        "the same slug under another parent space yields the same subject. Use a subject template with {spacePath} and pin space_path.",
    },
    // callerId is the stack's slug, made from its name: a stack deleted and re-created under the same
    // name gets the same subject. The issuer is the account's own host, so only the account's space
    // admins can do that (info). https://docs.spacelift.io/concepts/spaces/access-control
    immutableIds: {
      claims: [],
      what: "the stack by its slug only; a stack deleted and re-created under the same name gets the same subject",
      advice: "Pin the stack by an immutable id once AWS provides one as a condition key.",
      withoutIdKey: {
        severity: "info",
        advice:
          "keep the space and stack exact, and limit who is admin of the space (only space admins create stacks).",
      },
    },
  },
};
