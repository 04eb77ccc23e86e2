/**
 * Which CI platform (issuer) a trust statement is for, decided from the IAM OIDC provider named in its
 * `Federated` principal, and what the linter knows about that platform's tokens (ci-platforms.md §14).
 */

import { providerSpecificClaims } from "../../core/federation/web-identity.js";

export const PLATFORM_IDS = [
  "github",
  "gitlab",
  "tfc",
  "spacelift",
  "env0",
  "buildkite",
  "circleci",
  "bitbucket",
  "kubernetes",
  "keyless",
  "generic",
] as const;
export type PlatformId = (typeof PLATFORM_IDS)[number];

export function isPlatformId(value: string): value is PlatformId {
  return (PLATFORM_IDS as readonly string[]).includes(value);
}

export interface PlatformProfile {
  readonly id: PlatformId;
  readonly title: string;
  /** One issuer for every customer of the platform: any of them can mint a token for this provider. */
  readonly sharedIssuer: boolean;
  /** The claim(s) naming the customer: `sub` for most, `aud` for Pulumi/Vercel/Cognito. */
  readonly tenancyClaims: readonly string[];
  /** IAM refuses trust policies that do not scope the tenancy claim (aws-identity-plane §13). */
  readonly writeTimeControl: boolean;
  /** Does the platform put `https://aws.amazon.com/tags` in its tokens? */
  readonly sessionTags: "always" | "opt-in" | "never";
  /** The audiences a correctly configured client requests (empty: the user chooses, nothing to check). */
  readonly audiences: readonly string[];
  /** Claims AWS maps to condition keys for this issuer, beyond aud/sub/oaud/amr/azp/email. */
  readonly providerKeys: readonly string[];
}

const GENERIC_KEYS: readonly string[] = [];

export const PROFILES: Readonly<Record<PlatformId, PlatformProfile>> = {
  github: {
    id: "github",
    title: "GitHub Actions",
    sharedIssuer: true,
    tenancyClaims: ["sub", "job_workflow_ref"],
    writeTimeControl: true,
    sessionTags: "never",
    audiences: ["sts.amazonaws.com", "sts.amazonaws.com.cn"],
    providerKeys: providerSpecificClaims("token.actions.githubusercontent.com"),
  },
  gitlab: {
    id: "gitlab",
    title: "GitLab CI",
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    writeTimeControl: true,
    sessionTags: "never",
    audiences: [],
    providerKeys: providerSpecificClaims("gitlab.com"),
  },
  tfc: {
    id: "tfc",
    title: "HCP Terraform",
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    writeTimeControl: true,
    sessionTags: "never",
    audiences: ["aws.workload.identity"],
    providerKeys: GENERIC_KEYS,
  },
  spacelift: {
    id: "spacelift",
    title: "Spacelift",
    sharedIssuer: false,
    tenancyClaims: ["sub"],
    writeTimeControl: false,
    sessionTags: "never",
    audiences: [],
    providerKeys: GENERIC_KEYS,
  },
  env0: {
    id: "env0",
    title: "env0",
    // One issuer for every env0 customer; `sub` is constant per organisation.
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    writeTimeControl: false,
    sessionTags: "always",
    audiences: ["hoMiq9PdkRh9LUvVpH4wIErWg50VSG1b"],
    providerKeys: GENERIC_KEYS,
  },
  buildkite: {
    id: "buildkite",
    title: "Buildkite",
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    writeTimeControl: true,
    sessionTags: "opt-in",
    audiences: [],
    providerKeys: providerSpecificClaims("agent.buildkite.com"),
  },
  circleci: {
    id: "circleci",
    title: "CircleCI",
    sharedIssuer: false,
    tenancyClaims: ["sub"],
    writeTimeControl: false,
    sessionTags: "never",
    audiences: [],
    providerKeys: providerSpecificClaims("oidc.circleci.com"),
  },
  bitbucket: {
    id: "bitbucket",
    title: "Bitbucket Pipelines",
    sharedIssuer: false,
    tenancyClaims: ["sub"],
    writeTimeControl: false,
    sessionTags: "never",
    audiences: [],
    providerKeys: GENERIC_KEYS,
  },
  kubernetes: {
    id: "kubernetes",
    title: "Kubernetes / EKS IRSA",
    sharedIssuer: false,
    tenancyClaims: ["sub"],
    writeTimeControl: false,
    sessionTags: "never",
    audiences: ["sts.amazonaws.com"],
    providerKeys: GENERIC_KEYS,
  },
  keyless: {
    id: "keyless",
    title: "keyless issuer",
    // One keyless server signs for all its organizations with one issuer URL (the issuer's `keyless`
    // profile), so `org` names the tenant as GitHub's owner does.
    sharedIssuer: true,
    tenancyClaims: ["sub"],
    writeTimeControl: false,
    sessionTags: "opt-in",
    audiences: ["sts.amazonaws.com"],
    providerKeys: GENERIC_KEYS,
  },
  generic: {
    id: "generic",
    title: "generic OIDC issuer",
    sharedIssuer: false,
    tenancyClaims: ["sub"],
    writeTimeControl: false,
    sessionTags: "opt-in",
    audiences: [],
    providerKeys: GENERIC_KEYS,
  },
};

/** Shared issuers whose tenancy is in `aud` (Pulumi, Vercel, Cognito): generic, but aud is the tenant. */
const AUD_TENANCY_HOSTS = [
  "api.pulumi.com/oidc",
  "oidc.vercel.com",
  "cognito-identity.amazonaws.com",
  "sandboxes.cloud",
];

/** Legacy or look-alike hosts that no longer issue tokens (OIDC-105). */
export const DEAD_HOSTS: ReadonlyMap<string, string> = new Map([
  ["vstoken.actions.githubusercontent.com", "token.actions.githubusercontent.com"],
]);

export interface Detected {
  readonly profile: PlatformProfile;
  /** How the platform was decided: from the host, or from the --platform override. */
  readonly source: "host" | "override" | "default";
}

/** Overrides from the command line: `--platform spacelift` (every unrecognised host) or
 * `--platform ci.example.com=gitlab` (that host). */
export interface PlatformOverrides {
  readonly fallback?: PlatformId;
  readonly byHost?: ReadonlyMap<string, PlatformId>;
}

/**
 * The provider host (+path) is the condition-key prefix: `token.actions.githubusercontent.com`,
 * `login.app.env0.com/`, `oidc.eks.eu-west-1.amazonaws.com/id/ABC`. Matching is on its structure
 * (host name and path segments), case-insensitively for the host as DNS is.
 */
export function detectPlatform(prefix: string, overrides: PlatformOverrides = {}): Detected {
  const byHost = overrides.byHost?.get(prefix) ?? overrides.byHost?.get(prefix.replace(/\/$/, ""));
  if (byHost) return { profile: PROFILES[byHost], source: "override" };
  const fromHost = platformOfHost(prefix);
  if (fromHost) return { profile: fromHost, source: "host" };
  if (overrides.fallback) return { profile: PROFILES[overrides.fallback], source: "override" };
  return { profile: PROFILES.generic, source: "default" };
}

function platformOfHost(prefix: string): PlatformProfile | undefined {
  const slash = prefix.indexOf("/");
  const host = (slash < 0 ? prefix : prefix.slice(0, slash)).toLowerCase();
  const path = slash < 0 ? "" : prefix.slice(slash);
  const segments = path.split("/").filter((s) => s !== "");
  if (host === "token.actions.githubusercontent.com" || host === "vstoken.actions.githubusercontent.com") {
    return PROFILES.github;
  }
  if (host.startsWith("token.actions.") && host.endsWith(".ghe.com")) return PROFILES.github;
  if (host === "gitlab.com") return PROFILES.gitlab;
  if (host === "app.terraform.io") return PROFILES.tfc;
  if (host.endsWith(".app.spacelift.io")) return PROFILES.spacelift;
  if (host === "login.app.env0.com") return PROFILES.env0;
  if (host === "agent.buildkite.com") return PROFILES.buildkite;
  if (host === "oidc.circleci.com" && segments[0] === "org") return PROFILES.circleci;
  if (host === "api.bitbucket.org" && segments.includes("pipelines-config")) return PROFILES.bitbucket;
  if (host.startsWith("oidc.eks.") && host.endsWith(".amazonaws.com") && segments[0] === "id") {
    return PROFILES.kubernetes;
  }
  if (AUD_TENANCY_HOSTS.some((h) => prefix.toLowerCase().startsWith(h))) {
    return { ...PROFILES.generic, sharedIssuer: true, tenancyClaims: ["aud"], writeTimeControl: true };
  }
  return undefined;
}

/** The provider prefix from a `Federated` principal: the ARN's resource after `oidc-provider/`. A bare
 * host (the built-in `accounts.google.com`, `cognito-identity.amazonaws.com`) is its own prefix. SAML
 * providers are not OIDC: undefined. */
export function providerPrefix(federated: string): string | undefined {
  const marker = ":oidc-provider/";
  const at = federated.indexOf(marker);
  if (at >= 0) return federated.slice(at + marker.length);
  if (federated.startsWith("arn:")) return undefined;
  return federated;
}
