import { NO_PROVIDER_KEYS } from "./provider-keys.js";
import type { FieldRole, Platform, SubjectFieldSpec, SubjectLayout } from "./types.js";

/**
 * Bitbucket Pipelines: one issuer per workspace
 * (https://api.bitbucket.org/2.0/workspaces/<workspace>/pipelines-config/identity/oidc), `sub`
 * {repositoryUuid}:{stepUuid} or {repositoryUuid}:{environmentUuid}:{stepUuid}, no session tags. Source:
 * https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/
 */

const HOST = "api.bitbucket.org";

function parse(pattern: string): SubjectLayout | undefined {
  const parts = pattern.split(":");
  if (parts.length < 2 || parts.length > 3) return undefined;
  const names = parts.length === 2 ? ["repository", "step"] : ["repository", "environment", "step"];
  const roleOf = (name: string): FieldRole =>
    name === "repository" ? "project" : name === "environment" ? "dimension" : "other";
  const specs: SubjectFieldSpec[] = names.map((name) => ({
    name,
    role: roleOf(name),
    fallback: `{${name}-uuid}`,
    ...(name === "environment" ? { alternatives: ["{zz-other-environment}"] } : {}),
  }));
  return {
    specs,
    written: new Map(names.map((n, i) => [n, parts[i]])),
    render: (v) => names.map((n) => v.get(n)).join(":"),
  };
}

export const bitbucket: Platform = {
  id: "bitbucket",
  title: "Bitbucket Pipelines",
  kind: "ci",
  issuer: {
    hosts: [HOST],
    matches: (host, segments) => host === HOST && segments.includes("pipelines-config"),
    iamScopedKeys: [],
  },
  audiences: [],
  subject: { defaultTemplate: "{repositoryUuid}:{stepUuid}", parse },
  claims: [],
  sessionTags: { mode: "never", keys: [], transitive: [] },
  providerKeys: NO_PROVIDER_KEYS,
  lint: {
    sharedIssuer: false,
    tenancyClaims: ["sub"],
    perRunSubject: {
      what: "the step UUID",
      advice: 'Use StringLike with the repository (and environment) UUID and "*" for the step.',
    },
  },
};
