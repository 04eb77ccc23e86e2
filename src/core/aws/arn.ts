/**
 * Amazon Resource Names for the IAM and STS resources keyless deals with, in every partition keyless
 * knows: `aws` (commercial), `aws-cn` (China), `aws-us-gov` (GovCloud). Format:
 * `arn:partition:service:region:account-id:resource` with an empty region for IAM and STS
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
 * One module, so every reader and writer of an ARN agrees on its grammar.
 */

export const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"] as const;
export type Partition = (typeof PARTITIONS)[number];

/** The partition group of a regular expression source: `(aws|aws-cn|aws-us-gov)`. */
export const PARTITION_PATTERN = `(${PARTITIONS.join("|")})`;

/** IAM names (role, user, session): 1 to 64 of `[\w+=,.@-]` (API_CreateRole, API_CreateUser, API_AssumeRole). */
const NAME = "[\\w+=,.@-]{1,64}";
/**
 * A path: `/` alone or `/` … `/` of printable ASCII (API_CreateRole: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`).
 */
const PATH = "/(?:[\\u0021-\\u007E]*/)?";

const ROLE = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):role(${PATH})(${NAME})$`);
const USER = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):user(${PATH})(${NAME})$`);
const ROOT = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):root$`);
const ASSUMED_ROLE = new RegExp(`^arn:${PARTITION_PATTERN}:sts::(\\d{12}):assumed-role/(${NAME})/(${NAME})$`);
const OIDC_PROVIDER = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):oidc-provider/(.+)$`);
const POLICY = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}|aws):policy(${PATH})(${NAME})$`);

export interface RoleArn {
  readonly partition: Partition;
  readonly account: string;
  /** `/` or `/a/b/`. */
  readonly path: string;
  readonly name: string;
}
export interface UserArn extends RoleArn {}
export interface AssumedRoleArn {
  readonly partition: Partition;
  readonly account: string;
  /** The role's name (an assumed-role ARN carries no path). */
  readonly roleName: string;
  readonly sessionName: string;
}
export interface OidcProviderArn {
  readonly partition: Partition;
  readonly account: string;
  /** The provider URL without `https://`, as registered (path and trailing slash kept). */
  readonly url: string;
}
export interface PolicyArn {
  readonly partition: Partition;
  /** 12 digits, or `aws` for an AWS managed policy. */
  readonly account: string;
  readonly path: string;
  readonly name: string;
}
export interface RootArn {
  readonly partition: Partition;
  readonly account: string;
}

/** `arn:…:iam::ACCOUNT:role/PATH/NAME`, or undefined when `arn` is not a role ARN. */
export function parseRoleArn(arn: string): RoleArn | undefined {
  const m = ROLE.exec(arn);
  return m ? { partition: m[1] as Partition, account: m[2]!, path: m[3]!, name: m[4]! } : undefined;
}

/** `arn:…:iam::ACCOUNT:user/PATH/NAME`, or undefined. */
export function parseUserArn(arn: string): UserArn | undefined {
  const m = USER.exec(arn);
  return m ? { partition: m[1] as Partition, account: m[2]!, path: m[3]!, name: m[4]! } : undefined;
}

/** `arn:…:iam::ACCOUNT:root`, or undefined. */
export function parseRootArn(arn: string): RootArn | undefined {
  const m = ROOT.exec(arn);
  return m ? { partition: m[1] as Partition, account: m[2]! } : undefined;
}

/** `arn:…:sts::ACCOUNT:assumed-role/ROLE/SESSION`, or undefined. */
export function parseAssumedRoleArn(arn: string): AssumedRoleArn | undefined {
  const m = ASSUMED_ROLE.exec(arn);
  return m
    ? { partition: m[1] as Partition, account: m[2]!, roleName: m[3]!, sessionName: m[4]! }
    : undefined;
}

/** `arn:…:iam::ACCOUNT:oidc-provider/HOST[/PATH]`, or undefined. */
export function parseOidcProviderArn(arn: string): OidcProviderArn | undefined {
  const m = OIDC_PROVIDER.exec(arn);
  return m ? { partition: m[1] as Partition, account: m[2]!, url: m[3]! } : undefined;
}

/** `arn:…:iam::ACCOUNT|aws:policy/PATH/NAME`, or undefined. */
export function parsePolicyArn(arn: string): PolicyArn | undefined {
  const m = POLICY.exec(arn);
  return m ? { partition: m[1] as Partition, account: m[2]!, path: m[3]!, name: m[4]! } : undefined;
}

/** The 12-digit account of any IAM/STS ARN keyless parses (role, user, root, session, provider). */
export function accountOfArn(arn: string): string | undefined {
  return (
    parseRoleArn(arn) ??
    parseAssumedRoleArn(arn) ??
    parseRootArn(arn) ??
    parseUserArn(arn) ??
    parseOidcProviderArn(arn)
  )?.account;
}

export const roleArn = (r: { partition?: Partition; account: string; path?: string; name: string }): string =>
  `arn:${r.partition ?? "aws"}:iam::${r.account}:role${r.path ?? "/"}${r.name}`;

export const userArn = (u: { partition?: Partition; account: string; path?: string; name: string }): string =>
  `arn:${u.partition ?? "aws"}:iam::${u.account}:user${u.path ?? "/"}${u.name}`;

export const rootArn = (account: string, partition: Partition = "aws"): string =>
  `arn:${partition}:iam::${account}:root`;

export const assumedRoleArn = (s: {
  partition?: Partition;
  account: string;
  roleName: string;
  sessionName: string;
}): string => `arn:${s.partition ?? "aws"}:sts::${s.account}:assumed-role/${s.roleName}/${s.sessionName}`;

/** `url` is the provider URL without `https://`, exactly as registered. */
export const oidcProviderArn = (account: string, url: string, partition: Partition = "aws"): string =>
  `arn:${partition}:iam::${account}:oidc-provider/${url}`;
