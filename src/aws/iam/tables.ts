/**
 * The emulator's IAM tables (migration 0100_iam). Lists and tag sets are JSON text: they are always read
 * and written whole, and JSON text is portable across SQLite and PostgreSQL. Timestamps are ISO text.
 */
export interface IamOidcProviderRow {
  account: string;
  /** The provider URL without `https://`, exactly as registered (path and trailing slash kept). */
  url: string;
  client_ids: string;
  thumbprints: string;
  tags: string;
  created_at: string;
}

export interface IamRoleRow {
  account: string;
  role_name: string;
  /** Lower-cased name: role names are unique case-insensitively. */
  role_key: string;
  role_id: string;
  path: string;
  trust_policy: string;
  description: string | null;
  max_session_duration: number;
  tags: string;
  created_at: string;
}

export interface IamRolePolicyRow {
  account: string;
  role_key: string;
  policy_name: string;
  document: string;
}

export interface IamTables {
  iam_oidc_providers: IamOidcProviderRow;
  iam_roles: IamRoleRow;
  iam_role_policies: IamRolePolicyRow;
}
