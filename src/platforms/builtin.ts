import { STS_CONDITION_KEYS, sameAsClaim } from "./provider-keys.js";
import { WEB_IDENTITY } from "./recipe.js";
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
  // No IAM OIDC provider: the principal is the bare host. `accounts.google.com:aud` is the token's azp
  // when it has one (a service account's ID token: its unique id), else its aud; `:sub` the account.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
  init: {
    required: ["audience", "subject"],
    optional: [],
    phased: false,
    issuer: () => `https://${GOOGLE}`,
    audience: (s) => s.audience!,
    trust: (s, { prefix }) => ({
      actions: [WEB_IDENTITY],
      conditions: {
        StringEquals: { [`${prefix}:aud`]: s.audience!, [`${prefix}:sub`]: s.subject! },
      },
      why: [
        "Federated accounts.google.com: AWS's built-in Google provider, so no IAM OIDC provider is written.",
        `aud: the OAuth client id, or a service account's unique id (AWS compares the token's azp when present): ${s.audience}.`,
        `sub: one Google account (${s.subject}); without it every account signing in to that client gets in.`,
        "No sts:TagSession: Google ID tokens carry no session tags.",
      ],
    }),
    usage: (s, roles) => [
      `A Google ID token for that account (on Google Cloud: the metadata server's identity endpoint or \`gcloud auth print-identity-token\`, azp/aud ${s.audience}), then sts:AssumeRoleWithWebIdentity on:`,
      ...roles.map((r) => r.arn),
    ],
    unavoidable: () => [],
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
  // The trust AWS documents for an identity pool's role: aud the pool id, and `amr` (multivalued, hence
  // ForAnyValue:StringLike) "authenticated" so guest identities are refused.
  // https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html
  init: {
    required: ["identity-pool-id"],
    optional: [],
    phased: false,
    issuer: () => `https://${COGNITO}`,
    audience: (s) => s["identity-pool-id"]!,
    trust: (s, { prefix }) => ({
      actions: [WEB_IDENTITY],
      conditions: {
        StringEquals: { [`${prefix}:aud`]: s["identity-pool-id"]! },
        "ForAnyValue:StringLike": { [`${prefix}:amr`]: "authenticated" },
      },
      why: [
        "Federated cognito-identity.amazonaws.com: AWS's built-in Cognito provider, so no IAM OIDC provider is written.",
        `aud: the identity pool ${s["identity-pool-id"]}; IAM refuses a trust on this provider without it.`,
        "amr (multivalued, ForAnyValue:StringLike) authenticated: guest (unauthenticated) identities are refused.",
        "No sts:TagSession: Cognito's OpenID tokens carry no session tags.",
      ],
    }),
    usage: (s, roles) => [
      `Cognito's basic flow: GetId and GetOpenIdToken for an authenticated identity of ${s["identity-pool-id"]}, then sts:AssumeRoleWithWebIdentity on:`,
      ...roles.map((r) => r.arn),
    ],
    check: (s) =>
      /^[a-z]{2}(-[a-z]+)+-\d:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(s["identity-pool-id"]!)
        ? undefined
        : `--identity-pool-id "${s["identity-pool-id"]}" must look like us-east-1:12345678-1234-1234-1234-123456789012`,
    unavoidable: () => [
      {
        rule: "OIDC-202",
        why: "amr is written with ForAnyValue:StringLike exactly as AWS's Cognito documentation and console write it; it matches exactly either way",
      },
    ],
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
