/**
 * Which CI platform (issuer) a trust statement is for, decided from the IAM OIDC provider named in its
 * `Federated` principal, and what the linter knows about that platform's tokens. The facts come from the
 * platform records (src/platforms/); `generic` is the linter's answer for an issuer no record claims.
 */
import {
  AUD_TENANCY_HOSTS,
  isPlatformId as isKnownPlatform,
  PLATFORM_IDS as KNOWN_PLATFORM_IDS,
  type PlatformId as KnownPlatformId,
  type LintFacts,
  PLATFORMS,
  type Platform,
  platformById,
  platformForIssuer,
} from "../../platforms/index.js";

export type PlatformId = KnownPlatformId | "generic";
export const PLATFORM_IDS: readonly PlatformId[] = [...KNOWN_PLATFORM_IDS, "generic"];

export function isPlatformId(value: string): value is PlatformId {
  return value === "generic" || isKnownPlatform(value);
}

export interface PlatformProfile extends LintFacts {
  readonly id: PlatformId;
  readonly title: string;
  /** The record, or undefined for a generic issuer. */
  readonly platform: Platform | undefined;
  /** IAM refuses trust policies that do not scope the tenancy claim (its identity-provider controls). */
  readonly writeTimeControl: boolean;
  /** Does the platform put `https://aws.amazon.com/tags` in its tokens? */
  readonly sessionTags: "always" | "opt-in" | "never";
  /** The audiences a correctly configured client requests (empty: the user chooses, nothing to check). */
  readonly audiences: readonly string[];
}

function profileOf(platform: Platform): PlatformProfile {
  return {
    ...platform.lint,
    id: platform.id,
    title: platform.title,
    platform,
    writeTimeControl: platform.issuer.iamScopedKeys.length > 0,
    sessionTags: platform.sessionTags.mode,
    audiences: platform.audiences,
  };
}

const GENERIC: PlatformProfile = {
  id: "generic",
  title: "generic OIDC issuer",
  platform: undefined,
  sharedIssuer: false,
  tenancyClaims: ["sub"],
  writeTimeControl: false,
  sessionTags: "opt-in",
  audiences: [],
};

export function profileById(id: PlatformId): PlatformProfile {
  return id === "generic" ? GENERIC : profileOf(platformById(id));
}

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
  if (byHost) return { profile: profileById(byHost), source: "override" };
  const fromHost = platformOfHost(prefix);
  if (fromHost) return { profile: fromHost, source: "host" };
  if (overrides.fallback) return { profile: profileById(overrides.fallback), source: "override" };
  return { profile: GENERIC, source: "default" };
}

function platformOfHost(prefix: string): PlatformProfile | undefined {
  const platform = platformForIssuer(prefix);
  if (platform) return profileOf(platform);
  if (AUD_TENANCY_HOSTS.some((h) => prefix.toLowerCase().startsWith(h))) {
    return { ...GENERIC, sharedIssuer: true, tenancyClaims: ["aud"], writeTimeControl: true };
  }
  return undefined;
}

/** The provider prefix from a `Federated` principal: the ARN's resource after `oidc-provider/`. A bare
 * host (the built-in `accounts.google.com`, `cognito-identity.amazonaws.com`) is its own prefix. SAML
 * providers are not OIDC: undefined. Deliberately looser than core/aws/arn.ts's parser: lint reads
 * templates whose partition and account are still placeholders
 * (`arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/…`) and must still find the host. */
export function providerPrefix(federated: string): string | undefined {
  const marker = ":oidc-provider/";
  const at = federated.indexOf(marker);
  if (at >= 0) return federated.slice(at + marker.length);
  if (federated.startsWith("arn:")) return undefined;
  return federated;
}

/**
 * The platform a `sub` grammar belongs to, for an issuer host no record claims (a self-managed GitLab, a
 * GitHub Enterprise Server, a Spacelift account on a custom host): the platforms whose grammar reads every
 * value and whose default template's literal head (`project_path:`, `repo:`, `organization:`, `space:`…)
 * each value starts with. `inferred` is set only when exactly one platform fits.
 */
export function inferPlatform(subjects: readonly string[]): {
  readonly inferred: PlatformProfile | undefined;
  readonly candidates: readonly PlatformId[];
} {
  if (subjects.length === 0) return { inferred: undefined, candidates: [] };
  const candidates = PLATFORMS.filter((p) => {
    const template = p.subject?.defaultTemplate;
    if (!template) return false;
    const head = template.slice(0, template.indexOf("{"));
    return head !== "" && subjects.every((v) => v.startsWith(head) && p.subject!.parse(v) !== undefined);
  }).map((p) => p.id);
  const only = candidates.length === 1 ? candidates[0] : undefined;
  return { inferred: only ? profileById(only) : undefined, candidates };
}
