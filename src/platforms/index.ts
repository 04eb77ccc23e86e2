/**
 * The platform registry: one record per platform (./<id>.ts), in the runner's detection order. Adding a
 * platform is one file, one line here and its tests.
 */
import { bitbucket } from "./bitbucket.js";
import { buildkite } from "./buildkite.js";
import { amazon, cognito, facebook, google } from "./builtin.js";
import { circleci } from "./circleci.js";
import { env0 } from "./env0.js";
import { github } from "./github.js";
import { gitlab } from "./gitlab.js";
import { keyless } from "./keyless.js";
import { kubernetes } from "./kubernetes.js";
import { OTHER_SHARED_ISSUERS } from "./others.js";
import { hostMatches } from "./provider-keys.js";
import { spacelift } from "./spacelift.js";
import { tfc } from "./tfc.js";
import type { Platform, PlatformId, ProviderKey } from "./types.js";

export { ENV0_CLIENT_ID } from "./env0.js";
export { renderTemplate } from "./grammar.js";
export { KEYLESS_CLAIMS, keylessSubject } from "./keyless.js";
export { AUD_TENANCY_HOSTS } from "./others.js";
export { STS_CONDITION_KEYS } from "./provider-keys.js";
export type { InitRecipe, Phase, Scope, ScopeFlag, TrustStatementSpec } from "./recipe.js";
export { SCOPE_FLAGS } from "./recipe.js";
export type * from "./types.js";

/** Every platform, in the order the runner tries their token sources (first match wins). */
export const PLATFORMS: readonly Platform[] = [
  keyless,
  github,
  env0,
  spacelift,
  tfc,
  buildkite,
  circleci,
  gitlab,
  kubernetes,
  bitbucket,
  google,
  cognito,
  facebook,
  amazon,
];

export const PLATFORM_IDS: readonly PlatformId[] = PLATFORMS.map((p) => p.id);

export function isPlatformId(value: string): value is PlatformId {
  return (PLATFORM_IDS as readonly string[]).includes(value);
}

const BY_ID = new Map<string, Platform>(PLATFORMS.map((p) => [p.id, p]));

/** The record of a platform id. */
export function platformById(id: PlatformId): Platform {
  return BY_ID.get(id)!;
}

/** The platforms the issuer can emit tokens for (its claim profiles), as a literal tuple for schemas. */
export const PROFILE_NAMES = [
  "keyless",
  "env0",
  "spacelift",
  "tfc",
  "github",
  "gitlab",
] as const satisfies readonly PlatformId[];
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The platforms `keyless init aws` has a recipe for, in the registry's order. */
export const INIT_PLATFORM_IDS: readonly PlatformId[] = PLATFORMS.filter((p) => p.init).map((p) => p.id);

/**
 * A provider key (`host[/path]`, IAM's spelling: the issuer URL without `https://`) or an issuer URL
 * split into its lowercase host and path segments.
 */
function split(issuer: string): { host: string; segments: string[] } {
  const bare = issuer.replace(/^https:\/\//i, "");
  const slash = bare.indexOf("/");
  const host = (slash < 0 ? bare : bare.slice(0, slash)).toLowerCase();
  const segments = (slash < 0 ? "" : bare.slice(slash)).split("/").filter((s) => s !== "");
  return { host, segments };
}

/**
 * The platform whose issuer this is: an issuer URL (`https://…`), a provider key (`host[/path]`) or a
 * bare host, with or without a trailing slash; the host is compared case-insensitively (DNS is).
 * Undefined for an issuer no record claims (a generic OIDC issuer, or a keyless installation).
 */
export function platformForIssuer(issuer: string): Platform | undefined {
  const { host, segments } = split(issuer);
  return PLATFORMS.find((p) => p.issuer.matches(host, segments));
}

/**
 * The provider-specific condition keys AWS derives for this provider key (`host[/path]`, an issuer URL or
 * a bare host) beyond aud/sub/oaud/amr/azp/email: the record's list when its `hosts` cover the host
 * (`token.actions.githubusercontent.com/<slug>` and `oidc.circleci.com/org/<id>` count as their host),
 * else none. The engine (explain, the emulator) and lint's OIDC-104 read this same list.
 */
export function providerConditionKeys(providerKey: string): readonly ProviderKey[] {
  return keyFactsOf(providerKey)?.keys ?? [];
}

/** The generic web-identity keys (aud, oaud, azp, sub, amr, email) STS sets for this provider. */
export const STANDARD_WEB_IDENTITY_KEYS: readonly string[] = ["aud", "oaud", "azp", "sub", "amr", "email"];

/** The generic keys this provider has: all six, or the few AWS lists for a built-in provider. */
export function providerStandardKeys(providerKey: string): readonly string[] {
  return keyFactsOf(providerKey)?.standard ?? STANDARD_WEB_IDENTITY_KEYS;
}

function keyFactsOf(providerKey: string) {
  const { host } = split(providerKey);
  return PLATFORMS.map((p) => p.providerKeys).find((f) =>
    f.hosts.some((pattern) => hostMatches(pattern, host)),
  );
}

/** The names of providerConditionKeys (the part after `<provider>:`). */
export function providerSpecificClaims(providerKey: string): readonly string[] {
  return providerConditionKeys(providerKey).map((k) => k.key);
}

/** The key(s) IAM's identity-provider controls require scoped for a shared provider key, or undefined. */
export function iamScopedKeys(providerKey: string): readonly string[] | undefined {
  const all = [...PLATFORMS.flatMap((p) => p.issuer.iamScopedKeys), ...OTHER_SHARED_ISSUERS];
  return all.find((i) => i.host === providerKey)?.keys;
}

/** Hosts that no longer issue tokens, with the host that does (lint's OIDC-105). */
export const DEAD_HOSTS: ReadonlyMap<string, string> = new Map(
  PLATFORMS.flatMap((p) => (p.issuer.deadHosts ?? []).map((d) => [d.host, d.replacement] as const)),
);

/**
 * The built-in provider (Google, Cognito, Facebook, Login with Amazon) an issuer or `ProviderId` names,
 * with or without `https://`, or undefined. Such a provider needs no IAM OIDC provider.
 */
export function builtinProvider(issuer: string): Platform | undefined {
  const platform = platformForIssuer(issuer);
  return platform?.issuer.builtin ? platform : undefined;
}
