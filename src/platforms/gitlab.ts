import { attr, opt, refType } from "./claims.js";
import { readPairs } from "./grammar.js";
import { STS_CONDITION_KEYS, sameAsClaim } from "./provider-keys.js";
import { branchOf, WEB_IDENTITY } from "./recipe.js";
import type { ClaimContext, Platform, SubjectFieldSpec, SubjectLayout } from "./types.js";

/**
 * GitLab CI: issuer https://gitlab.com (or the self-managed instance's URL), the audience the job's
 * `id_tokens` entry names, `sub` project_path:<group>/<project>:ref_type:<type>:ref:<ref>, no session
 * tags. Sources: https://docs.gitlab.com/ci/secrets/id_token_authentication/ (claims) and
 * https://docs.gitlab.com/ci/cloud_services/aws/ (AWS setup).
 */

const GITLAB_COM = "https://gitlab.com";
const HOST = "gitlab.com";

const refName = (r: string): string => r.replace(/^refs\/(heads|tags)\//, "");

function claimsOf(ctx: ClaimContext): Record<string, string> {
  const { organization, project, environment, run } = ctx;
  const r = attr(ctx, "ref") ?? "";
  const projectPath = `${organization.name}/${project.name}`;
  const host = (opt(organization, "instance") ?? GITLAB_COM).replace(/^https:\/\//, "");
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
}

const SPECS: readonly SubjectFieldSpec[] = [
  { name: "group", role: "tenant", fallback: "acme" },
  { name: "project", role: "project", fallback: "app" },
  {
    name: "ref_type",
    role: "dimension",
    fallback: "branch",
    alternatives: ["branch", "tag"],
    readOnlyPhase: true,
  },
  // Merge-request pipelines carry the source branch with no marker: any other branch is untrusted code.
  { name: "ref", role: "context", fallback: "main", untrusted: ["zz-feature"] },
];

/** `project_path:<group>/<project>:ref_type:<t>:ref:<r>`, component order configurable. */
function parse(pattern: string): SubjectLayout | undefined {
  if (!pattern.startsWith("project_path:")) return undefined;
  const rest = pattern.slice("project_path:".length);
  const colon = rest.indexOf(":");
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const slash = path.indexOf("/");
  const group = slash < 0 ? path : path.slice(0, slash);
  const project = slash < 0 ? undefined : path.slice(slash + 1);
  const kv =
    colon < 0
      ? { pairs: [] as [string, string | undefined][], ok: true }
      : readPairs(rest.slice(colon + 1).split(":"), ["ref_type", "ref"]);
  if (!kv.ok) return undefined;
  const written = new Map<string, string | undefined>([
    ["group", group],
    ["project", project],
  ]);
  for (const [k, v] of kv.pairs) written.set(k, v);
  const order = [
    ...kv.pairs.map(([k]) => k),
    ...["ref_type", "ref"].filter((k) => !kv.pairs.some(([p]) => p === k)),
  ];
  return {
    specs: SPECS,
    written,
    render: (v) =>
      `project_path:${v.get("group")}/${v.get("project")}${order.map((k) => `:${k}:${v.get(k)}`).join("")}`,
  };
}

export const gitlab: Platform = {
  id: "gitlab",
  title: "GitLab CI",
  kind: "ci",
  issuer: {
    url: GITLAB_COM,
    hosts: [HOST],
    matches: (host) => host === HOST,
    iamScopedKeys: [{ host: HOST, keys: ["sub"] }],
  },
  audiences: [],
  subject: { defaultTemplate: "project_path:{project_path}:ref_type:{ref_type}:ref:{ref}", parse },
  claims: [
    "namespace_id",
    "namespace_path",
    "project_id",
    "project_path",
    "user_id",
    "user_login",
    "user_email",
    "pipeline_id",
    "pipeline_source",
    "job_id",
    "ref",
    "ref_type",
    "ref_path",
    "ref_protected",
    "environment",
    "environment_protected",
    "deployment_tier",
    "runner_id",
    "runner_environment",
    "sha",
    "ci_config_ref_uri",
    "ci_config_sha",
  ],
  sessionTags: { mode: "never", keys: [], transitive: [] },
  // For gitlab.com only: a self-managed instance has none. The paths (project_path, namespace_path)
  // are not keys: they are matched through sub.
  providerKeys: {
    source: STS_CONDITION_KEYS,
    hosts: [HOST],
    keys: sameAsClaim(
      "namespace_id",
      "pipeline_source",
      "project_id",
      "ref_protected",
      "runner_environment",
      "user_access_level",
      "user_email",
      "user_id",
      "user_login",
    ),
  },
  profile: {
    issuer: (org) => opt(org, "instance") ?? GITLAB_COM,
    jwksPath: "/oauth/discovery/keys",
    defaultAudience: (org) => opt(org, "instance") ?? GITLAB_COM,
    defaultLifetimeSeconds: 300,
    placeholders: ["project_path", "project_id", "ref_type", "ref"],
    defaultTemplate: () => "project_path:{project_path}:ref_type:{ref_type}:ref:{ref}",
    variables: (ctx) => {
      const c = claimsOf(ctx);
      return {
        project_path: { value: c.project_path! },
        project_id: { value: c.project_id! },
        ref_type: { value: c.ref_type! },
        ref: { value: c.ref! },
      };
    },
    claims: (ctx) => claimsOf(ctx),
    jti: true,
  },
  tokenSource: {
    description: "GitLab CI",
    namedVariable: {
      when: { variable: "GITLAB_CI", equals: "true" },
      hint: "GitLab CI: name the id_tokens variable that holds the token, e.g. --from-env AWS_ID_TOKEN (GitLab lets each job choose its name)",
    },
    requirement: "GITLAB_CI=true and --from-env",
  },
  init: {
    required: ["organization", "project"],
    optional: ["branch", "project-id", "namespace-id", "issuer", "audience"],
    phased: false,
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
  },
  lint: {
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    immutableIds: {
      claims: ["project_id", "namespace_id"],
      what: "the project by path only; a deleted path can be re-registered",
      advice: "Add StringEquals {project_id} and {namespace_id}.",
      // Self-managed instances: any user allowed to create groups and projects there can take a freed path.
      withoutIdKey: {
        severity: "low",
        advice: "keep the path exact and control who can create groups and projects on the instance.",
      },
    },
  },
};
