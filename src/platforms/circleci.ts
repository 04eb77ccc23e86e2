import { keyValueLayout } from "./grammar.js";
import { STS_CONDITION_KEYS, sameAsClaim } from "./provider-keys.js";
import { branchOf, WEB_IDENTITY } from "./recipe.js";
import type { Platform, SubjectFieldSpec } from "./types.js";

/**
 * CircleCI: one issuer per organization (https://oidc.circleci.com/org/<organization id>), the
 * organization id as audience, the v2 subject org/…/project/…/user/…/vcs-origin/…/vcs-ref/… in
 * CIRCLE_OIDC_TOKEN_V2, no session tags. Source: https://circleci.com/docs/openid-connect-tokens/
 */

const HOST = "oidc.circleci.com";

const SPECS: readonly SubjectFieldSpec[] = [
  { name: "org", role: "tenant", fallback: "00000000-0000-0000-0000-000000000000" },
  { name: "project", role: "project", fallback: "11111111-1111-1111-1111-111111111111" },
  { name: "user", role: "other", fallback: "22222222-2222-2222-2222-222222222222" },
  { name: "vcs-origin", role: "project", fallback: "github.com/acme/app" },
  { name: "vcs-ref", role: "context", fallback: "refs/heads/main", others: ["refs/heads/zz-feature"] },
];

export const circleci: Platform = {
  id: "circleci",
  title: "CircleCI",
  kind: "ci",
  issuer: {
    hosts: [HOST],
    matches: (host, segments) => host === HOST && segments[0] === "org",
    iamScopedKeys: [],
  },
  audiences: [],
  subject: {
    defaultTemplate:
      "org/{organization_id}/project/{project_id}/user/{user_id}/vcs-origin/{vcs_origin}/vcs-ref/{vcs_ref}",
    parse: (pattern) => keyValueLayout(pattern, SPECS, "/", { allowLeadingWildcard: false }),
  },
  claims: [
    `${HOST}/project-id`,
    `${HOST}/context-ids`,
    `${HOST}/vcs-origin`,
    `${HOST}/vcs-ref`,
    `${HOST}/org-id`,
  ],
  sessionTags: { mode: "never", keys: [], transitive: [] },
  // The key repeats the claim's own name: oidc.circleci.com/org/<id>:oidc.circleci.com/project-id.
  providerKeys: { source: STS_CONDITION_KEYS, hosts: [HOST], keys: sameAsClaim(`${HOST}/project-id`) },
  tokenSource: {
    description: "CircleCI",
    variables: ["CIRCLE_OIDC_TOKEN_V2", "CIRCLE_OIDC_TOKEN"],
    requirement: "CIRCLE_OIDC_TOKEN_V2",
  },
  init: {
    required: ["organization-id", "project-id", "vcs-origin"],
    optional: ["branch", "audience"],
    phased: false,
    issuer: (s) => `https://${HOST}/org/${s["organization-id"]}`,
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
    check: (s) =>
      /^[\w.-]+(\/[\w.-]+)+$/.test(s["vcs-origin"]!)
        ? undefined
        : `--vcs-origin "${s["vcs-origin"]}" must look like github.com/acme/app`,
    usage: (_s, roles) => [
      "Job: use $CIRCLE_OIDC_TOKEN_V2 (the v2 subject) as the web identity token for:",
      ...roles.map((r) => r.arn),
    ],
    unavoidable: () => [],
  },
  lint: { sharedIssuer: false, tenancyClaims: ["sub"] },
};
