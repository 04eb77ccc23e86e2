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
  /** ARN of the managed policy that bounds the role's permissions, or null (migration 0101). */
  permissions_boundary: string | null;
}

export interface IamRolePolicyRow {
  account: string;
  role_key: string;
  policy_name: string;
  document: string;
}

/** A customer managed policy (migration 0101_iam_policies); its documents are in iam_policy_versions. */
export interface IamPolicyRow {
  account: string;
  /** Lower-cased name: policy names are unique case-insensitively in an account. */
  policy_key: string;
  policy_name: string;
  policy_id: string;
  path: string;
  description: string | null;
  default_version: string;
  /** The number of the next version (`v<n>`): IAM never reuses a version id of a policy. */
  next_version: number;
  tags: string;
  created_at: string;
  updated_at: string;
}

export interface IamPolicyVersionRow {
  account: string;
  policy_key: string;
  version_id: string;
  document: string;
  created_at: string;
}

/** A managed policy (customer or AWS managed, by ARN) attached to a role. */
export interface IamRoleAttachmentRow {
  account: string;
  role_key: string;
  policy_arn: string;
}

export interface IamTables {
  iam_oidc_providers: IamOidcProviderRow;
  iam_roles: IamRoleRow;
  iam_role_policies: IamRolePolicyRow;
  iam_policies: IamPolicyRow;
  iam_policy_versions: IamPolicyVersionRow;
  iam_role_attachments: IamRoleAttachmentRow;
}
