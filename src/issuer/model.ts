/**
 * The issuer's domain model, apart from storage rows and wire shapes. Ids are UUIDs; names are the
 * human, renamable labels (which is why immutable-id subject variants exist).
 */

import { PROFILE_NAMES, type ProfileName } from "../platforms/index.js";

/** Which platform's token shape an organization's tokens take (see claims/profiles.ts). */
export const PROFILES = PROFILE_NAMES;
export type { ProfileName };

export interface SessionTagSettings {
  /** Opt-in: tags make AWS require `sts:TagSession` in every trust policy (env0's 2023 breaking change). */
  readonly enabled: boolean;
  /** Claim names whose values become tags (same key as the claim). */
  readonly keys: readonly string[];
  /** Subset of `keys` that persist through role chaining. */
  readonly transitive: readonly string[];
}

export interface OrganizationSettings {
  readonly profile: ProfileName;
  /** `iss` for this organization's tokens; null = the server's issuer URL. */
  readonly issuerUrl: string | null;
  /** Subject template (claims/subject.ts); null = the profile's default shape. */
  readonly subTemplate: string | null;
  /** Audiences a job may ask for. Empty = only the profile's default audience. */
  readonly allowedAudiences: readonly string[];
  /** Used when the request names none; must be in allowedAudiences (or be the profile default). */
  readonly defaultAudience: string | null;
  readonly defaultLifetimeSeconds: number;
  readonly maxLifetimeSeconds: number;
  /** How long a run (and so its request token) lives unless completed earlier. */
  readonly runTimeoutSeconds: number;
  readonly sessionTags: SessionTagSettings;
  /** Profile-specific knobs (e.g. env0's organization subject, Spacelift's account host). */
  readonly profileOptions: Readonly<Record<string, string>>;
}

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly settings: OrganizationSettings;
  readonly createdAt: number;
}

export interface Project {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly subTemplate: string | null;
  readonly createdAt: number;
}

export interface Environment {
  readonly id: string;
  readonly organizationId: string;
  readonly projectId: string;
  readonly name: string;
  readonly createdAt: number;
}

/** `plan`, `apply`, `destroy`, or a custom phase name. */
export type Phase = string;

export type RunStatus = "running" | "succeeded" | "failed" | "cancelled";

export interface Run {
  readonly id: string;
  readonly organizationId: string;
  readonly projectId: string;
  readonly environmentId: string;
  readonly phase: Phase;
  readonly deployer: string;
  /** ref, commit, trigger and custom attributes; each becomes a claim. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly status: RunStatus;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly completedAt: number | null;
}

/** Whether a run's request token may still mint: running and not past its timeout. */
export function runIsLive(run: Run, now: number): boolean {
  return run.status === "running" && now < run.expiresAt;
}

/** What an API key may do. The union makes an org-less org-admin or a project-less runner unrepresentable. */
export type ApiKeyScope =
  | { readonly kind: "admin" }
  | { readonly kind: "org_admin"; readonly organizationId: string }
  | { readonly kind: "runner"; readonly organizationId: string; readonly projectId: string };

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly scope: ApiKeyScope;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export type SigningAlgorithm = "RS256" | "ES256";

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** Sealed private key (issuer/kek.ts); opened only by the signer. */
  readonly privateKeySealed: string;
  readonly createdAt: number;
  /** Published from createdAt; signs from activateAt (after the overlap). */
  readonly activateAt: number;
  readonly retiredAt: number | null;
}

export interface AuditEntry {
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly organizationId: string | null;
  readonly target: string | null;
  readonly kid: string | null;
  readonly tokenExp: number | null;
  readonly details: Readonly<Record<string, unknown>>;
}
