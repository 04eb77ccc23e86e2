/**
 * AWS identifier grammars keyless validates against, from the STS and IAM API references
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_RequestParameters,
 * https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html).
 */

/** An AWS account ID: exactly 12 digits. */
export const ACCOUNT_ID = /^\d{12}$/;

/** The source of an IAM name (role, user): 1 to 64 of letters, digits and `+=,.@_-` (API_CreateRole RoleName). */
export const IAM_NAME_PATTERN = "[\\w+=,.@-]{1,64}";
export const IAM_NAME = new RegExp(`^${IAM_NAME_PATTERN}$`);

/** RoleSessionName (and SourceIdentity): 2 to 64 of letters, digits and `_+=,.@-`. */
export const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export const isAccountId = (value: string): boolean => ACCOUNT_ID.test(value);
export const isRoleSessionName = (value: string): boolean => ROLE_SESSION_NAME.test(value);
export const isIamName = (value: string): boolean => IAM_NAME.test(value);
