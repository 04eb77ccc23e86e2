/**
 * AWS identifier grammars keyless validates against, from the STS and IAM API references
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_RequestParameters,
 * https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html).
 */

/** An AWS account ID: exactly 12 digits. */
export const ACCOUNT_ID = /^\d{12}$/;

/** RoleSessionName (and SourceIdentity): 2 to 64 of letters, digits and `_+=,.@-`. */
export const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export const isAccountId = (value: string): boolean => ACCOUNT_ID.test(value);
export const isRoleSessionName = (value: string): boolean => ROLE_SESSION_NAME.test(value);
