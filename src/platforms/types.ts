/**
 * What keyless knows about one CI platform (or one of AWS's built-in web identity providers), in one
 * typed record per platform. Every component reads its platform facts from these records (through the
 * registry in ./index.ts): the issuer's claim profiles, the runner's token sources and role variables,
 * init's recipes, lint's probes and the emulator's provider-specific condition keys.
 *
 * Layering: this module sits above `core` (the pure policy engine, which stays platform-free) and below
 * the components (aws, issuer, runner, analysis). It imports nothing from them: the issuer's model is
 * described structurally here (ClaimContext).
 */
import type { InitRecipe } from "./recipe.js";

/** Every platform keyless knows; `PlatformId` of the registry is this union. */
export type PlatformId =
  | "keyless"
  | "env0"
  | "spacelift"
  | "tfc"
  | "github"
  | "gitlab"
  | "buildkite"
  | "circleci"
  | "bitbucket"
  | "kubernetes"
  | "google"
  | "cognito"
  | "facebook"
  | "amazon";

/**
 * `ci`: a CI/CD platform that mints OIDC tokens for its jobs; `workload`: a workload identity issuer
 * (Kubernetes service accounts); `aws-builtin`: one of AWS's built-in web identity providers
 * (accounts.google.com, cognito-identity.amazonaws.com, graph.facebook.com, www.amazon.com), which need no
 * IAM OIDC provider: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html
 */
export type PlatformKind = "ci" | "workload" | "aws-builtin";

/** The issuer side: where tokens come from and how IAM names the provider. */
export interface IssuerFacts {
  /**
   * The issuer URL as the platform writes `iss` (exact: path and trailing slash count, because IAM's
   * provider key is the URL without `https://`), or undefined when it depends on the customer (Spacelift's
   * account host, CircleCI's organization id, an EKS cluster's id).
   */
  readonly url?: string;
  /** Issuer hosts this record owns, lowercase (the facts the literal test looks for elsewhere in src/). */
  readonly hosts: readonly string[];
  /**
   * Whether a provider key (`host[/path]`, as in an IAM OIDC provider ARN) is this platform's. `host` is
   * lowercase (DNS is case-insensitive); `segments` are the path's non-empty segments.
   */
  matches(host: string, segments: readonly string[]): boolean;
  /**
   * IAM's identity-provider controls for shared OIDC providers: a trust policy that trusts one of these
   * hosts must pin the listed key(s) with a positive string operator and a value other than `*`
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html). A key with a
   * `:` is global (`sts:RoleSessionName`); others are claims under the provider's prefix.
   */
  readonly iamScopedKeys: readonly { readonly host: string; readonly keys: readonly string[] }[];
  /**
   * One of AWS's built-in providers: no IAM OIDC provider, the `Federated` principal is the bare host;
   * `accessToken`: the client sends an OAuth 2.0 access token with `ProviderId` (Facebook, Login with
   * Amazon), not an ID token.
   */
  readonly builtin?: { readonly accessToken: boolean };
  /** Hosts that once issued the platform's tokens and no longer do, with their replacement. */
  readonly deadHosts?: readonly { readonly host: string; readonly replacement: string }[];
}

/** One provider-specific condition key: `<provider key>:<key>`, read from a claim of the token. */
export interface ProviderKey {
  /** The key after `<provider>:`, exactly as AWS spells it (`user_login`, `oidc.circleci.com/project-id`). */
  readonly key: string;
  /** The claim it carries, as a path into the token's JSON payload (one name for a top-level claim). */
  readonly claim: readonly string[];
}

/**
 * The condition keys STS derives from a provider's claims beyond aud/sub/oaud/amr/azp/email (trust policy
 * only), from AWS's own list: the AssumeRoleWithWebIdentity condition keys of the Service Authorization
 * Reference (`source`). `hosts` are the issuer hosts AWS gives them for (`*` matches one DNS label or
 * more; a path after the host does not matter): GitLab's keys exist for gitlab.com, not for a
 * self-managed instance. Empty `keys`: AWS lists none for the platform.
 */
export interface ProviderKeyFacts {
  readonly source: string;
  readonly hosts: readonly string[];
  readonly keys: readonly ProviderKey[];
  /**
   * The generic keys (aud, oaud, azp, sub, amr, email) the provider has, when not all of them: AWS's
   * built-in providers have only the ones AWS lists (Facebook: none; its keys are app_id and id).
   */
  readonly standard?: readonly string[];
}

/** The role a field of a subject plays, for lint's probes. */
export type FieldRole = "tenant" | "project" | "context" | "dimension" | "other";

/** One field of a platform's `sub` grammar. */
export interface SubjectFieldSpec {
  readonly name: string;
  readonly role: FieldRole;
  /** The value a probe uses when the policy's pattern leaves the field open. */
  readonly fallback: string;
  /** Context values that run code nobody reviewed (pull requests, proposed runs, merge-request branches). */
  readonly untrusted?: readonly string[];
  /** Other ordinary contexts (another branch, tag, environment). */
  readonly others?: readonly string[];
  /** The other values of a security-relevant dimension (run phase, ref type, scope). */
  readonly alternatives?: readonly string[];
  /** Alias keys that fill the same field (Spacelift `module` for `stack`). */
  readonly aliases?: readonly string[];
  /** Only present when written (Spacelift template fields): never filled in for a spanning wildcard. */
  readonly optional?: boolean;
  /** A dimension whose other value is a read-only phase (plan, tag build): leaving it open is worse. */
  readonly readOnlyPhase?: boolean;
}

/**
 * One `sub` value (exact or a pattern) read by a platform's grammar: the fields it has, what each field
 * holds as written (undefined when a wildcard spanned it), and how to render a subject from field values.
 */
export interface SubjectLayout {
  readonly specs: readonly SubjectFieldSpec[];
  readonly written: ReadonlyMap<string, string | undefined>;
  render(values: ReadonlyMap<string, string>): string;
}

export interface SubjectFacts {
  /** The default subject template, `{placeholder}` form (the issuer's placeholders). */
  readonly defaultTemplate: string;
  /** Reads a `sub` value; undefined when it has another shape. Used to build probes, never to decide. */
  parse(pattern: string): SubjectLayout | undefined;
}

/** The issuer's model, structurally (the records may not import the issuer component). */
export interface ClaimContext {
  readonly organization: {
    readonly id: string;
    readonly name: string;
    readonly settings: { readonly profileOptions: Readonly<Record<string, string>> };
  };
  readonly project: { readonly id: string; readonly name: string };
  readonly environment: { readonly id: string; readonly name: string };
  readonly run: {
    readonly id: string;
    readonly phase: string;
    readonly deployer: string;
    readonly attributes: Readonly<Record<string, string>>;
  };
}

/** A subject template variable's value, and its immutable id where it has one. */
export type SubjectVariables = Readonly<Record<string, { readonly value: string; readonly id?: string }>>;

/**
 * The keyless issuer's compatibility profile for a platform: it emits that platform's claim set, `sub`
 * shape, default audience and issuer-URL form, so trust policies written for the platform work unchanged.
 */
export interface ClaimProfile {
  /** The platform's issuer URL form (exact: env0's has a trailing slash). */
  issuer(org: ClaimContext["organization"], serverIssuer: string): string;
  /** Where the JWKS lives, relative to the issuer (the discovery document points there). */
  readonly jwksPath: string;
  defaultAudience(org: ClaimContext["organization"]): string;
  /** Seconds. */
  readonly defaultLifetimeSeconds: number;
  /** Placeholders the subject template may use. */
  readonly placeholders: readonly string[];
  defaultTemplate(ctx: ClaimContext): string;
  variables(ctx: ClaimContext): SubjectVariables;
  /** The platform's claims besides iss, sub, aud, iat, nbf, exp, jti. */
  claims(ctx: ClaimContext, template: string): Record<string, unknown>;
  /** Whether tokens carry `jti` (Auth0-minted env0 tokens do not). */
  readonly jti: boolean;
}

/** Session tags (`https://aws.amazon.com/tags`) the platform's tokens carry. */
export interface SessionTagFacts {
  /** `always`: every token carries tags (trust policies need sts:TagSession); `opt-in`; `never`. */
  readonly mode: "always" | "opt-in" | "never";
  /** The tag keys the platform sends (empty: none, or the customer chooses). */
  readonly keys: readonly string[];
  /** Subset of `keys` that persist through role chaining. */
  readonly transitive: readonly string[];
}

/** An environment variable test: set (non-empty), or equal to a value. */
export interface EnvMarker {
  readonly variable: string;
  readonly equals?: string;
}

/** Where the runner finds a job's ID token on this platform; tried in this order. */
export interface TokenSourceFacts {
  /** For the log line: "GitHub Actions". */
  readonly description: string;
  /** A request URL + bearer token, GitHub Actions' protocol (GET url&audience=… → {"value": jwt}). */
  readonly request?: {
    readonly urlVariable: string;
    readonly tokenVariable: string;
    /** Audience asked for when the caller names none (undefined: the issuer's default). */
    readonly defaultAudience?: string;
    /** Query parameter carrying a wanted lifetime in seconds (keyless issuer only). */
    readonly lifetimeParameter?: string;
  };
  /** Variables holding a token handed over once (first set wins). */
  readonly variables?: readonly string[];
  /** A variable naming a token file the platform rewrites. */
  readonly fileVariable?: { readonly variable: string; readonly description: string };
  /** Token files the platform writes (and rewrites before expiry). */
  readonly files?: readonly { readonly path: string; readonly description: string }[];
  /** A command that mints a token, when all markers are present. */
  readonly command?: {
    readonly when: readonly EnvMarker[];
    readonly program: string;
    args(audience: string): string[];
    readonly defaultAudience: string;
    readonly description: string;
  };
  /** The platform lets each job name its token variable: detected by the marker, then `--from-env`. */
  readonly namedVariable?: { readonly when: EnvMarker; readonly hint: string };
  /** What detection needs, for the error when `--source` names this platform and it is absent. */
  readonly requirement: string;
}

/** How the runner picks a role and a session name on this platform. */
export interface RunnerFacts {
  /** Variables naming the role to assume, in precedence order. */
  readonly roleVariables?: readonly string[];
  /** A role per run phase, when the platform's provider auth is enabled (HCP Terraform). */
  readonly phasedRoles?: {
    readonly enabledBy: EnvMarker;
    /** Variable holding the phase when the token has no phase claim. */
    readonly phaseVariable: string;
    readonly byPhase: Readonly<Record<string, string>>;
    readonly fallback: string;
  };
  /** Claims naming the run's phase. */
  readonly phaseClaims?: readonly string[];
  /** Claims naming the run, for the session name. */
  readonly runIdClaims?: readonly string[];
  /** A variable naming the run, and the session-name prefix to use with it. */
  readonly runIdVariable?: { readonly variable: string; readonly prefix: string };
}

/** What `keyless lint` knows about the platform's tokens beyond the facts above. */
export interface LintFacts {
  /** One issuer for every customer of the platform: any of them can mint a token for this provider. */
  readonly sharedIssuer: boolean;
  /** The claim(s) naming the customer: `sub` for most. */
  readonly tenancyClaims: readonly string[];
  /** The audience a token carries when it is the provider key itself (Spacelift). */
  readonly audienceIsProviderKey?: boolean;
  /** Why a wrong audience is wrong, appended to OIDC-102. */
  readonly audienceHint?: string;
  /** Keys whose values the job chooses (OIDC-015): claims under the provider prefix, and session tags. */
  readonly controlled?: { readonly claims?: readonly string[]; readonly tags?: readonly string[] };
  /** A session tag naming the tenant (env0's organization id), which anchors a statement like `sub`. */
  readonly tenantTag?: string;
  /** Advice for OIDC-015 (`{sub}` is replaced by the sub key). */
  readonly controlledAdvice?: string;
  /**
   * Name-based pinning (OIDC-013), one fact per platform: the subject names the tenant, repository,
   * workspace or stack, and a deleted name can be re-created by someone else. `claims` (under the
   * provider prefix) and `tags` (session tags) are the immutable ids that pin it instead, when AWS
   * provides them as condition keys for that provider (empty: AWS provides none, e.g. HCP Terraform's
   * workspace id); `what` the name-only pin risks; `advice` the fix with ids (`{claim}` is replaced by
   * the claim's condition key, `{field}` by the subject field as the policy writes it); `withoutIdKey`
   * what to do where no id key exists (who can re-create the name) and how severe it is then: `low`
   * when someone outside the tenant can re-register it, `info` when only the tenant's own admins can.
   */
  readonly immutableIds?: {
    readonly claims: readonly string[];
    readonly tags?: readonly string[];
    readonly what: string;
    readonly advice: string;
    readonly withoutIdKey: { readonly severity: "low" | "info"; readonly advice: string };
  };
  /** A subject field whose values are not unique (Spacelift's space slug, OIDC-017): what it is, and
   * the fix. */
  readonly nonUniqueField?: { readonly field: string; readonly what: string; readonly advice: string };
  /** A subject field whose name is unique only within another field (a service account within its
   * namespace, OIDC-017): pinning the name alone admits every scope. */
  readonly scopedName?: {
    readonly name: string;
    readonly scope: string;
    readonly what: string;
    readonly advice: string;
  };
  /**
   * A claim present only when the job has that context, which then also changes `sub` (GitHub's
   * `environment`): the subject's form then, `{field}` placeholders from the grammar plus the claim.
   */
  readonly contextClaim?: { readonly claim: string; readonly subjectTemplate: string };
  /** A `sub` that names something new on every run (Bitbucket's step UUID): an exact pin admits nobody
   * next time. */
  readonly perRunSubject?: { readonly what: string; readonly advice: string };
  /** The `amr` value of identities that never signed in (Cognito's guest access): a trust that does not
   * require the other value admits them (OIDC-030). */
  readonly unauthenticatedAmr?: string;
  /** First components of a customised subject that bind it to the tenant (GitHub's OIDC-009). */
  readonly ownerBoundSubjectKeys?: readonly string[];
}

/** Everything keyless knows about one platform. */
export interface Platform {
  readonly id: PlatformId;
  readonly title: string;
  readonly kind: PlatformKind;
  readonly issuer: IssuerFacts;
  /** The audiences a correctly configured client requests (empty: the user chooses). */
  readonly audiences: readonly string[];
  readonly subject?: SubjectFacts;
  /** Claim names specific to the platform's tokens (beyond iss/sub/aud/iat/nbf/exp/jti). */
  readonly claims: readonly string[];
  readonly sessionTags: SessionTagFacts;
  /** The provider-specific condition keys AWS derives from this platform's tokens (see ProviderKeyFacts). */
  readonly providerKeys: ProviderKeyFacts;
  readonly profile?: ClaimProfile;
  readonly tokenSource?: TokenSourceFacts;
  readonly runner?: RunnerFacts;
  readonly init?: InitRecipe;
  readonly lint: LintFacts;
}
