import { problem } from "../errors.js";
import type { OrganizationSettings } from "../model.js";
import { type ClaimContext, KEYLESS_CLAIMS, PROFILE, type Profile } from "./profiles.js";
import { AWS_TAGS_CLAIM, buildTagsClaim, validateTagSettings } from "./session-tags.js";
import { parseTemplate, renderSubject } from "./subject.js";

/**
 * From a run and a request (audience, lifetime) to the claims of its token. Pure: the clock's reading
 * and the jti come in as arguments, so tests pin every value.
 */
export interface TokenRequest {
  readonly audience?: string;
  readonly lifetimeSeconds?: number;
}

export interface BuiltToken {
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly claims: Record<string, unknown>;
}

export const MIN_LIFETIME_SECONDS = 60;

/** Standard and reserved claim names no run attribute may take. */
const RESERVED = new Set<string>([
  "iss",
  "sub",
  "aud",
  "exp",
  "nbf",
  "iat",
  "jti",
  "azp",
  "amr",
  "oaud",
  "auth_time",
  "nonce",
  "acr",
  "typ",
  "email",
  ...KEYLESS_CLAIMS,
]);
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const MAX_ATTRIBUTES = 50;
export const MAX_ATTRIBUTE_VALUE = 1024;
export const MAX_ATTRIBUTES_BYTES = 8192;

/**
 * Run attributes become claims, so they follow claim rules: a plain name (no URL namespaces, so none can
 * pose as `https://aws.amazon.com/tags`), not a reserved name, at most 50, each ≤ 1024 characters, all
 * together ≤ 8 KiB (tokens travel in headers and environment variables).
 */
export function validateAttributes(attributes: Readonly<Record<string, string>>): void {
  const entries = Object.entries(attributes);
  if (entries.length > MAX_ATTRIBUTES) {
    throw problem("invalid-claims", `at most ${MAX_ATTRIBUTES} attributes, got ${entries.length}`);
  }
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name)) {
      throw problem("invalid-claims", `attribute name "${name}" must match ${ATTRIBUTE_NAME.source}`, {
        attribute: name,
      });
    }
    if (RESERVED.has(name) || name.toLowerCase().startsWith("aws")) {
      throw problem("invalid-claims", `attribute "${name}" is a reserved claim name`, { attribute: name });
    }
    if (typeof value !== "string") throw problem("invalid-claims", `attribute "${name}" must be a string`);
    if (value.length > MAX_ATTRIBUTE_VALUE) {
      throw problem(
        "invalid-claims",
        `attribute "${name}" is ${value.length} characters; the limit is ${MAX_ATTRIBUTE_VALUE}`,
        { attribute: name },
      );
    }
  }
  const size = Buffer.byteLength(JSON.stringify(attributes));
  if (size > MAX_ATTRIBUTES_BYTES) {
    throw problem("invalid-claims", `attributes total ${size} bytes; the limit is ${MAX_ATTRIBUTES_BYTES}`);
  }
}

/** Checks organization settings before they are stored. */
export function validateSettings(settings: OrganizationSettings): void {
  const profile = PROFILE[settings.profile];
  if (settings.subTemplate !== null) parseTemplate(settings.subTemplate, profile.placeholders);
  if (
    settings.defaultLifetimeSeconds < MIN_LIFETIME_SECONDS ||
    settings.maxLifetimeSeconds < MIN_LIFETIME_SECONDS
  ) {
    throw problem("bad-request", `lifetimes must be at least ${MIN_LIFETIME_SECONDS} seconds`);
  }
  if (settings.defaultLifetimeSeconds > settings.maxLifetimeSeconds) {
    throw problem(
      "bad-request",
      `defaultLifetimeSeconds (${settings.defaultLifetimeSeconds}) exceeds maxLifetimeSeconds (${settings.maxLifetimeSeconds})`,
    );
  }
  if (settings.defaultAudience !== null && settings.allowedAudiences.length > 0) {
    if (!settings.allowedAudiences.includes(settings.defaultAudience)) {
      throw problem(
        "bad-request",
        `defaultAudience "${settings.defaultAudience}" is not in allowedAudiences`,
      );
    }
  }
  if (settings.issuerUrl !== null) validateIssuerUrl(settings.issuerUrl);
  validateTagSettings(settings.sessionTags);
}

/** AWS's rules for a provider URL: https, no query, no fragment
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html). */
export function validateIssuerUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw problem("bad-request", `issuer URL "${url}" is not a URL`);
  }
  if (u.protocol !== "https:")
    throw problem("bad-request", `issuer URL "${url}" must start with https:// (AWS requires it)`);
  if (u.search || u.hash)
    throw problem("bad-request", `issuer URL "${url}" may not have a query or fragment`);
}

export function profileOf(settings: OrganizationSettings): Profile {
  return PROFILE[settings.profile];
}

/** `iss` for this organization: its own setting, else its profile's form, else the server's URL. */
export function issuerFor(ctx: Pick<ClaimContext, "organization">, serverIssuer: string): string {
  const s = ctx.organization.settings;
  return s.issuerUrl ?? profileOf(s).issuer(ctx.organization, serverIssuer);
}

/**
 * The audiences a run of this organization may ask for: its `allowedAudiences` when set; else its
 * profile's default audience and the audiences the platform's own tools request by default (GitHub's
 * configure-aws-credentials asks for sts.amazonaws.com, HCP Terraform for aws.workload.identity), so a
 * job configured as the platform documents works out of the box. The first is the default.
 */
export function allowedAudiences(ctx: Pick<ClaimContext, "organization">): readonly string[] {
  const s = ctx.organization.settings;
  if (s.allowedAudiences.length > 0) return s.allowedAudiences;
  const profile = profileOf(s);
  return [...new Set([profile.defaultAudience(ctx.organization), ...profile.toolAudiences])];
}

interface FixedParts {
  readonly serverIssuer: string;
  readonly subject: string;
  readonly issuer: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * What a context always yields whatever the request: subject, issuer and the profile's claims. Kept per
 * context object (contexts are immutable values), since the token endpoint's cache hands the same object
 * to every mint of a run and rendering them again was about a tenth of a mint's CPU besides signing
 * (docs/performance.md). A context whose subject cannot be rendered throws each time, as before.
 */
const fixedByContext = new WeakMap<ClaimContext, FixedParts>();

function fixedParts(ctx: ClaimContext, serverIssuer: string): FixedParts {
  const hit = fixedByContext.get(ctx);
  if (hit && hit.serverIssuer === serverIssuer) return hit;
  const settings = ctx.organization.settings;
  const profile = profileOf(settings);
  const templateSource = ctx.project.subTemplate ?? settings.subTemplate ?? profile.defaultTemplate(ctx);
  const subject = renderSubject(parseTemplate(templateSource, profile.placeholders), profile.variables(ctx));
  const parts = {
    serverIssuer,
    subject,
    issuer: issuerFor(ctx, serverIssuer),
    body: profile.claims(ctx, templateSource),
  };
  fixedByContext.set(ctx, parts);
  return parts;
}

const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The admin command that adds `audience` to the organization's allowed audiences (for refusals). */
export const addAudienceCommand = (organization: string, audience: string): string =>
  `keyless org update ${shellWord(organization)} --add-audience ${shellWord(audience)}`;

export function buildToken(
  ctx: ClaimContext,
  request: TokenRequest,
  at: { nowSeconds: number; jti: string; serverIssuer: string },
): BuiltToken {
  const settings = ctx.organization.settings;
  const profile = profileOf(settings);

  const allowed = allowedAudiences(ctx);
  const audience = request.audience ?? settings.defaultAudience ?? allowed[0]!;
  if (!allowed.includes(audience)) {
    throw problem(
      "unknown-audience",
      `audience "${audience}" is not allowed for organization ${ctx.organization.name} (allowed: ${allowed.join(", ")}); an organization admin adds it with: ${addAudienceCommand(ctx.organization.name, audience)}`,
      { allowed },
    );
  }

  const lifetime = request.lifetimeSeconds ?? settings.defaultLifetimeSeconds;
  if (!Number.isInteger(lifetime) || lifetime < MIN_LIFETIME_SECONDS) {
    throw problem(
      "bad-request",
      `lifetime must be a whole number of seconds, at least ${MIN_LIFETIME_SECONDS}`,
    );
  }
  if (lifetime > settings.maxLifetimeSeconds) {
    // Buildkite's wording, which its clients already recognise.
    throw problem(
      "lifetime-too-long",
      `Requested lifetime too high (requested: ${lifetime} max: ${settings.maxLifetimeSeconds})`,
      { requested: lifetime, max: settings.maxLifetimeSeconds },
    );
  }

  const { subject, issuer, body } = fixedParts(ctx, at.serverIssuer);
  const iat = at.nowSeconds;
  const exp = iat + lifetime;

  const claims: Record<string, unknown> = {
    ...body,
    iss: issuer,
    sub: subject,
    aud: audience,
    iat,
    nbf: iat,
    exp,
    ...(profile.jti ? { jti: at.jti } : {}),
  };
  const tags = profile.fixedSessionTags ?? (settings.sessionTags.enabled ? settings.sessionTags : undefined);
  if (tags) {
    const tagClaim = buildTagsClaim(tags.keys, tags.transitive, claims);
    if (tagClaim) claims[AWS_TAGS_CLAIM] = tagClaim;
  }
  return { issuer, subject, audience, issuedAt: iat, expiresAt: exp, claims };
}
