import { keyValueLayout } from "./grammar.js";
import { STS_CONDITION_KEYS, sameAsClaim } from "./provider-keys.js";
import { branchOf, TAG_SESSION, WEB_IDENTITY } from "./recipe.js";
import type { Platform, SubjectFieldSpec } from "./types.js";

/**
 * Buildkite: one issuer for every customer (https://agent.buildkite.com), the audience the step asks
 * for, `sub` organization:…:pipeline:…:ref:…:commit:…:step:…, session tags only when the step asks
 * (`--aws-session-tag`). Source: https://buildkite.com/docs/pipelines/security/oidc and
 * https://buildkite.com/docs/pipelines/security/oidc/aws
 */

const HOST = "agent.buildkite.com";
const STS = "sts.amazonaws.com";

const SPECS: readonly SubjectFieldSpec[] = [
  { name: "organization", role: "tenant", fallback: "acme" },
  { name: "pipeline", role: "project", fallback: "deploy" },
  {
    name: "ref",
    role: "context",
    fallback: "refs/heads/main",
    others: ["refs/heads/zz-feature", "refs/tags/zz-tag"],
  },
  { name: "commit", role: "other", fallback: "0123456789abcdef0123456789abcdef01234567" },
  { name: "step", role: "other", fallback: "deploy" },
];

export const buildkite: Platform = {
  id: "buildkite",
  title: "Buildkite",
  kind: "ci",
  issuer: {
    url: `https://${HOST}`,
    hosts: [HOST],
    matches: (host) => host === HOST,
    iamScopedKeys: [{ host: HOST, keys: ["sub"] }],
  },
  audiences: [],
  subject: {
    defaultTemplate:
      "organization:{organization_slug}:pipeline:{pipeline_slug}:ref:{build_branch}:commit:{build_commit}:step:{step_key}",
    parse: (pattern) => keyValueLayout(pattern, SPECS, ":", { allowLeadingWildcard: false }),
  },
  claims: [
    "organization_slug",
    "organization_id",
    "pipeline_slug",
    "pipeline_id",
    "build_number",
    "build_branch",
    "build_tag",
    "build_commit",
    "step_key",
    "job_id",
    "agent_id",
    "cluster_id",
    "queue_id",
  ],
  sessionTags: { mode: "opt-in", keys: [], transitive: [] },
  // agent.buildkite.com only: AWS also lists agent.<x>.buildkite.dev / .site, Buildkite's own test hosts.
  providerKeys: {
    source: STS_CONDITION_KEYS,
    hosts: [HOST],
    keys: sameAsClaim(
      "build_branch",
      "cluster_id",
      "cluster_name",
      "organization_id",
      "organization_slug",
      "pipeline_id",
      "pipeline_slug",
    ),
  },
  tokenSource: {
    description: "Buildkite",
    command: {
      when: [{ variable: "BUILDKITE", equals: "true" }, { variable: "BUILDKITE_AGENT_ACCESS_TOKEN" }],
      program: "buildkite-agent",
      args: (audience) => ["oidc", "request-token", "--audience", audience],
      defaultAudience: STS,
      description: "buildkite-agent oidc request-token",
    },
    requirement: "BUILDKITE=true and buildkite-agent",
  },
  init: {
    required: ["organization", "pipeline"],
    optional: ["branch", "step", "organization-id", "audience"],
    phased: false,
    issuer: () => `https://${HOST}`,
    audience: (s) => s.audience ?? STS,
    trust: (s, { prefix }) => {
      const orgId = s["organization-id"];
      return {
        actions: orgId ? [WEB_IDENTITY, TAG_SESSION] : [WEB_IDENTITY],
        conditions: {
          StringEquals: {
            [`${prefix}:aud`]: s.audience ?? STS,
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
    sessionTagsRefused: "for Buildkite, pass --organization-id (the session tag the role checks)",
    usage: (s, roles) => [
      `Step: buildkite-agent oidc request-token --audience ${s.audience ?? STS}${s["organization-id"] ? " --claim organization_id --aws-session-tag organization_id" : ""}, then assume:`,
      ...roles.map((r) => r.arn),
    ],
    unavoidable: (s) =>
      s["organization-id"]
        ? []
        : [
            {
              rule: "OIDC-013",
              why: "without --organization-id the organization is pinned by its slug only",
            },
          ],
  },
  lint: {
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    controlled: { tags: ["step_key"] },
    immutableIds: {
      claims: ["organization_id"],
      tags: ["organization_id"],
      what: "the organisation by its slug only; a deleted slug can be re-registered",
      advice:
        "Request the organization_id session tag and add StringEquals aws:RequestTag/organization_id (with sts:TagSession).",
      withoutIdKey: {
        severity: "low",
        advice: "keep the organization slug exact and never delete or rename the organization.",
      },
    },
  },
};
