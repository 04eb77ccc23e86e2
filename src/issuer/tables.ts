/**
 * The issuer's tables as Kysely sees them (opened with the migrations in `migrations.ts`). Portable column types only:
 * text, integer, bigint-as-number. Times are epoch milliseconds (integers); structured values (audience
 * lists, attributes, settings) are JSON text so both dialects store them alike.
 */
export interface IssuerTables {
  issuer_organizations: OrganizationRow;
  issuer_projects: ProjectRow;
  issuer_environments: EnvironmentRow;
  issuer_runs: RunRow;
  issuer_api_keys: ApiKeyRow;
  issuer_signing_keys: SigningKeyRow;
  issuer_audit: AuditRow;
  issuer_console_sessions: ConsoleSessionRow;
  issuer_console_codes: ConsoleCodeRow;
}

/** A web console session: hashes only (SHA-256 hex of the cookie's session id and of its CSRF token). */
export interface ConsoleSessionRow {
  id_hash: string;
  csrf_hash: string;
  /** The API key the session acts as (its id; the key's secret is never stored). */
  api_key_id: string;
  created_at: number;
  expires_at: number;
}

/** A one-time console sign-in code (SHA-256 hex of it), standing for an API key until it is used or expires. */
export interface ConsoleCodeRow {
  code_hash: string;
  api_key_id: string;
  expires_at: number;
}

export interface OrganizationRow {
  id: string;
  name: string;
  /** JSON of OrganizationSettings. */
  settings: string;
  created_at: number;
}

export interface ProjectRow {
  id: string;
  organization_id: string;
  name: string;
  /** A subject template overriding the organization's, or null. */
  sub_template: string | null;
  created_at: number;
}

export interface EnvironmentRow {
  id: string;
  organization_id: string;
  project_id: string;
  name: string;
  created_at: number;
}

export interface RunRow {
  id: string;
  organization_id: string;
  project_id: string;
  environment_id: string;
  phase: string;
  deployer: string;
  /** JSON object of string attributes (ref, commit, trigger, custom claims...). */
  attributes: string;
  /** SHA-256 (hex) of the request token; the token itself is never stored. */
  request_token_hash: string;
  status: string;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  /** SHA-256 (hex) of the secret; the secret itself is shown once and never stored. */
  secret_hash: string;
  scope: string;
  organization_id: string | null;
  project_id: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  /** JSON of the public JWK. */
  public_jwk: string;
  /** AES-256-GCM sealed PKCS#8 PEM (see issuer/kek.ts). */
  private_key_sealed: string;
  created_at: number;
  activate_at: number;
  retired_at: number | null;
}

export interface AuditRow {
  id: string;
  at: number;
  /** Who did it: `key:<api key id>`, `run:<run id>` for mints, `cli`, `system`. */
  actor: string;
  action: string;
  organization_id: string | null;
  target: string | null;
  /** For mints, the signing key (indexed so a key's last token expiry is cheap to find). */
  kid: string | null;
  /** For mints, the token's exp in epoch seconds. */
  token_exp: number | null;
  /** JSON details (jti, audience, run...). Never secrets. */
  details: string;
}
