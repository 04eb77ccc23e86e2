import { type ClaimProfile, PROFILE_NAMES, platformById } from "../../platforms/index.js";
import type { Environment, Organization, ProfileName, Project, Run } from "../model.js";

/**
 * Compatibility profiles: each emits one platform's claim set, `sub` shape, default audience and
 * issuer-URL form, so trust policies written for that platform work unchanged against our tokens. The
 * facts live in the platform records (src/platforms/<id>.ts); this module binds them to the issuer's
 * model. `keyless` is our own shape: every run attribute as its own claim. Platform-specific values the
 * model lacks come from run attributes (documented in docs/issuer.md).
 */
export interface ClaimContext {
  readonly organization: Organization;
  readonly project: Project;
  readonly environment: Environment;
  readonly run: Run;
}

export interface Profile extends ClaimProfile {
  readonly name: ProfileName;
  /** Session tags the platform always sends (env0), whatever the organization's opt-in. */
  readonly fixedSessionTags?: { readonly keys: readonly string[]; readonly transitive: readonly string[] };
  /** The audiences the platform's own tools request by default (its record's `audiences`). */
  readonly toolAudiences: readonly string[];
}

export { KEYLESS_CLAIMS } from "../../platforms/index.js";

function profileOf(name: ProfileName): Profile {
  const platform = platformById(name);
  const tags = platform.sessionTags;
  return {
    ...platform.profile!,
    name,
    toolAudiences: platform.audiences,
    ...(tags.mode === "always" ? { fixedSessionTags: { keys: tags.keys, transitive: tags.transitive } } : {}),
  };
}

export const PROFILE: Readonly<Record<ProfileName, Profile>> = Object.fromEntries(
  PROFILE_NAMES.map((name) => [name, profileOf(name)]),
) as Record<ProfileName, Profile>;
