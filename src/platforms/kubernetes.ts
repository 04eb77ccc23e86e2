import { NO_PROVIDER_KEYS } from "./provider-keys.js";
import type { Platform, SubjectFieldSpec, SubjectLayout } from "./types.js";

/**
 * Kubernetes service accounts, as EKS IAM roles for service accounts (IRSA) use them: one issuer per
 * cluster (https://oidc.eks.<region>.amazonaws.com/id/<cluster id>), audience sts.amazonaws.com, `sub`
 * system:serviceaccount:<namespace>:<name>, a projected token file the kubelet rewrites. Sources:
 * https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
 * https://docs.aws.amazon.com/eks/latest/userguide/irsa-fetch-keys.html
 */

const TOKEN_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";
const SUB_PREFIX = "system:serviceaccount:";

const SPECS: readonly SubjectFieldSpec[] = [
  { name: "namespace", role: "project", fallback: "default" },
  { name: "serviceaccount", role: "project", fallback: "app" },
];

function parse(pattern: string): SubjectLayout | undefined {
  if (!pattern.startsWith(SUB_PREFIX)) return undefined;
  const rest = pattern.slice(SUB_PREFIX.length);
  const colon = rest.indexOf(":");
  const ns = colon < 0 ? rest : rest.slice(0, colon);
  const sa = colon < 0 ? undefined : rest.slice(colon + 1);
  return {
    specs: SPECS,
    written: new Map([
      ["namespace", ns],
      ["serviceaccount", sa],
    ]),
    render: (v) => `${SUB_PREFIX}${v.get("namespace")}:${v.get("serviceaccount")}`,
  };
}

export const kubernetes: Platform = {
  id: "kubernetes",
  title: "Kubernetes / EKS IRSA",
  kind: "workload",
  issuer: {
    hosts: [],
    matches: (host, segments) =>
      host.startsWith("oidc.eks.") && host.endsWith(".amazonaws.com") && segments[0] === "id",
    iamScopedKeys: [],
  },
  audiences: ["sts.amazonaws.com"],
  subject: { defaultTemplate: `${SUB_PREFIX}{namespace}:{serviceaccount}`, parse },
  claims: [],
  sessionTags: { mode: "never", keys: [], transitive: [] },
  providerKeys: NO_PROVIDER_KEYS,
  tokenSource: {
    description: "projected service-account token",
    fileVariable: { variable: "AWS_WEB_IDENTITY_TOKEN_FILE", description: "projected service-account token" },
    files: [{ path: TOKEN_FILE, description: "EKS projected service-account token" }],
    requirement: `AWS_WEB_IDENTITY_TOKEN_FILE or ${TOKEN_FILE}`,
  },
  // EKS (IRSA) gives a pod its role and session name beside the token file, in the variables every AWS
  // SDK reads for web identity: https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html
  runner: {
    roleVariables: ["AWS_ROLE_ARN"],
    runIdVariable: { variable: "AWS_ROLE_SESSION_NAME", prefix: "" },
  },
  lint: {
    sharedIssuer: false,
    tenancyClaims: ["sub"],
    scopedName: {
      name: "serviceaccount",
      scope: "namespace",
      what: "service account",
      advice: "every namespace can create one with that name. Pin the namespace.",
    },
  },
};
