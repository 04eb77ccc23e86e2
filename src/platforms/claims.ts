import type { ClaimContext } from "./types.js";

/** Helpers the claim profiles share: an organization's profile option, a run attribute, a ref's type. */

/** A profile-specific knob of the organization (env0's subject, Spacelift's account, GitLab's instance). */
export const opt = (org: ClaimContext["organization"], key: string): string | undefined =>
  org.settings.profileOptions[key];

/** A run attribute (ref, commit, trigger or a platform-specific value the model lacks). */
export const attr = (ctx: ClaimContext, key: string): string | undefined => ctx.run.attributes[key];

/** `tag` for refs/tags/…, else `branch`. */
export const refType = (ref: string): "tag" | "branch" => (ref.startsWith("refs/tags/") ? "tag" : "branch");
