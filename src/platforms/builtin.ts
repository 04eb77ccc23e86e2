import { STS_CONDITION_KEYS, sameAsClaim } from "./provider-keys.js";
import type { Platform } from "./types.js";

/**
 * AWS's built-in web identity providers: Google, Amazon Cognito identity pools, Facebook and Login with
 * Amazon. They need no IAM OIDC provider: the trust policy names the bare host as its `Federated`
 * principal (`"Federated": "accounts.google.com"`), and the condition keys are `<host>:<key>`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html). Facebook and Login
 * with Amazon send OAuth 2.0 access tokens with `ProviderId`, not ID tokens. Keys: STS_CONDITION_KEYS.
 */

const GOOGLE = "accounts.google.com";
const COGNITO = "cognito-identity.amazonaws.com";
const FACEBOOK = "graph.facebook.com";
const AMAZON = "www.amazon.com";

const NO_TAGS = { mode: "never", keys: [], transitive: [] } as const;

export const google: Platform = {
  id: "google",
  title: "Google (AWS built-in provider)",
  kind: "aws-builtin",
  issuer: {
    url: `https://${GOOGLE}`,
    hosts: [GOOGLE],
    matches: (host) => host === GOOGLE,
    iamScopedKeys: [],
    builtin: { accessToken: false },
  },
  audiences: [],
  claims: ["azp", "email", "email_verified", "hd"],
  sessionTags: NO_TAGS,
  // aud/oaud/sub are the standard keys; Google's own: the Workspace organization number (Numeric).
  providerKeys: {
    source: STS_CONDITION_KEYS,
    hosts: [GOOGLE],
    keys: [{ key: "google/organization_number", claim: ["google", "organization_number"] }],
    standard: ["aud", "oaud", "sub"],
  },
  lint: {
    // Anyone with a Google account can sign in to the app: the OAuth client id (aud) names the app,
    // sub the user.
    sharedIssuer: true,
    tenancyClaims: ["aud"],
  },
};

export const cognito: Platform = {
  id: "cognito",
  title: "Amazon Cognito identity pools (AWS built-in provider)",
  kind: "aws-builtin",
  issuer: {
    url: `https://${COGNITO}`,
    hosts: [COGNITO],
    matches: (host) => host === COGNITO,
    // IAM refuses a trust policy on this provider that does not scope aud (the identity pool id).
    iamScopedKeys: [{ host: COGNITO, keys: ["aud"] }],
    builtin: { accessToken: false },
  },
  audiences: [],
  claims: ["amr"],
  sessionTags: NO_TAGS,
  // aud (the identity pool id), sub (the identity id) and the multivalued amr are the standard keys.
  providerKeys: { source: STS_CONDITION_KEYS, hosts: [COGNITO], keys: [], standard: ["amr", "aud", "sub"] },
  lint: {
    sharedIssuer: true,
    tenancyClaims: ["aud"],
    unauthenticatedAmr: "unauthenticated",
  },
};

export const facebook: Platform = {
  id: "facebook",
  title: "Facebook (AWS built-in provider)",
  kind: "aws-builtin",
  issuer: {
    url: `https://${FACEBOOK}`,
    hosts: [FACEBOOK],
    matches: (host) => host === FACEBOOK,
    iamScopedKeys: [],
    builtin: { accessToken: true },
  },
  audiences: [],
  claims: ["app_id", "id"],
  sessionTags: NO_TAGS,
  providerKeys: {
    source: STS_CONDITION_KEYS,
    hosts: [FACEBOOK],
    keys: sameAsClaim("app_id", "id"),
    standard: [],
  },
  lint: { sharedIssuer: true, tenancyClaims: ["app_id"] },
};

export const amazon: Platform = {
  id: "amazon",
  title: "Login with Amazon (AWS built-in provider)",
  kind: "aws-builtin",
  issuer: {
    url: `https://${AMAZON}`,
    hosts: [AMAZON],
    matches: (host) => host === AMAZON,
    iamScopedKeys: [],
    builtin: { accessToken: true },
  },
  audiences: [],
  claims: ["app_id", "user_id"],
  sessionTags: NO_TAGS,
  providerKeys: {
    source: STS_CONDITION_KEYS,
    hosts: [AMAZON],
    keys: sameAsClaim("app_id", "user_id"),
    standard: [],
  },
  lint: { sharedIssuer: true, tenancyClaims: ["app_id"] },
};
