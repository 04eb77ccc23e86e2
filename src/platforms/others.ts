/**
 * Issuers keyless has no platform record for, but whose facts IAM applies: the other shared OIDC
 * providers under IAM's identity-provider controls. A platform that gains a record moves its entries
 * there (Cognito's is in ./builtin.ts).
 */

/**
 * IAM's identity-provider controls for shared OIDC providers: a trust policy trusting one of these must
 * scope the listed key(s) (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
 * `aud` marks issuers whose tenancy is in the audience (Pulumi, Vercel, Cognito).
 */
export const OTHER_SHARED_ISSUERS: readonly { readonly host: string; readonly keys: readonly string[] }[] = [
  { host: "oidc.codefresh.io", keys: ["sub"] },
  { host: "studio.datachain.ai/api", keys: ["sub"] },
  { host: "scalr.io", keys: ["sub"] },
  { host: "tokens.cloud.shisho.dev", keys: ["sub"] },
  { host: "proidc.upbound.io", keys: ["sub"] },
  { host: "api.pulumi.com/oidc", keys: ["aud"] },
  { host: "sandboxes.cloud", keys: ["aud"] },
  { host: "oidc.vercel.com", keys: ["aud"] },
  { host: "sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d", keys: ["sts:RoleSessionName"] },
];

/** Shared issuers whose tenancy is in `aud`: a generic issuer for lint, but aud names the tenant. */
export const AUD_TENANCY_HOSTS: readonly string[] = OTHER_SHARED_ISSUERS.filter((i) =>
  i.keys.includes("aud"),
).map((i) => i.host);
