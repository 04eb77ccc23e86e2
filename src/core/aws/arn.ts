/**
 * Amazon Resource Names for the IAM and STS resources keyless deals with, in every partition AWS
 * publishes. Format: `arn:partition:service:region:account-id:resource` with an empty region for IAM and
 * STS (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
 * One module, so every reader and writer of an ARN (the policy grammar, the emulator, the runner, init,
 * the CLI) agrees on its grammar; test/unit/core/arn-agreement.test.ts feeds them all the same list.
 */
import { IAM_NAME_PATTERN } from "./identifiers.js";

/**
 * The partitions, as the AWS SDKs' partition table lists them
 * (https://github.com/aws/aws-sdk-js-v3/blob/main/packages/util-endpoints/src/lib/aws/partitions.json,
 * https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html):
 * commercial, China, GovCloud (US), the isolated ISO regions (`aws-iso`, `aws-iso-b`, `aws-iso-e`,
 * `aws-iso-f`) and the European Sovereign Cloud. The emulator and init write `aws` unless told
 * otherwise; every reader accepts them all, as IAM's policy grammar does.
 */
export const PARTITIONS = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
] as const;
export type Partition = (typeof PARTITIONS)[number];

/** The partition group of a regular expression source: `(aws|aws-cn|…)`. */
export const PARTITION_PATTERN = `(${PARTITIONS.join("|")})`;

export const isPartition = (value: string): value is Partition =>
  (PARTITIONS as readonly string[]).includes(value);

/** IAM names (role, user, session): 1 to 64 of `[\w+=,.@-]` (API_CreateRole, API_CreateUser, API_AssumeRole). */
const NAME = IAM_NAME_PATTERN;
/**
 * A path: `/` alone or `/` … `/` of printable ASCII (API_CreateRole: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`).
 */
const PATH = "/(?:[\\u0021-\\u007E]*/)?";

const ROLE = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):role(${PATH})(${NAME})$`);
const USER = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):user(${PATH})(${NAME})$`);
const ROOT = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):root$`);
const ASSUMED_ROLE = new RegExp(`^arn:${PARTITION_PATTERN}:sts::(\\d{12}):assumed-role/(${NAME})/(${NAME})$`);
const OIDC_PROVIDER = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):oidc-provider/(.+)$`);
const FEDERATED_USER = new RegExp(`^arn:${PARTITION_PATTERN}:(?:sts|iam)::(\\d{12}):federated-user/(.+)$`);
const SAML_PROVIDER = new RegExp(`^arn:${PARTITION_PATTERN}:iam::(\\d{12}):saml-provider/(.+)$`);
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

/** `arn:…:sts::ACCOUNT:federated-user/NAME` (GetFederationToken's session; IAM's spelling too), or undefined. */
export function parseFederatedUserArn(
  arn: string,
): { partition: Partition; account: string; name: string } | undefined {
  const m = FEDERATED_USER.exec(arn);
  return m ? { partition: m[1] as Partition, account: m[2]!, name: m[3]! } : undefined;
}

/** What an `AWS` principal ARN names (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html). */
export interface PrincipalArn {
  readonly kind: "root" | "user" | "role" | "assumed-role" | "federated-user";
  readonly partition: Partition;
  readonly account: string;
}

/**
 * An ARN that may stand in a policy's `"AWS"` principal: an account root, a user, a role, a role
 * session or a federated user. Undefined for anything else (a provider ARN, a bad account, an unknown
 * partition, a name outside IAM's character set or longer than 64).
 */
export function parsePrincipalArn(arn: string): PrincipalArn | undefined {
  const kinds: [
    PrincipalArn["kind"],
    (a: string) => { partition: Partition; account: string } | undefined,
  ][] = [
    ["root", parseRootArn],
    ["user", parseUserArn],
    ["role", parseRoleArn],
    ["assumed-role", parseAssumedRoleArn],
    ["federated-user", parseFederatedUserArn],
  ];
  for (const [kind, parse] of kinds) {
    const p = parse(arn);
    if (p) return { kind, partition: p.partition, account: p.account };
  }
  return undefined;
}

/**
 * An ARN that may stand in a policy's `"Federated"` principal: an OIDC or SAML provider of IAM. `name`
 * is the provider URL without `https://` (OIDC) or the SAML provider's name.
 */
export function parseFederatedProviderArn(
  arn: string,
): { kind: "oidc" | "saml"; partition: Partition; account: string; name: string } | undefined {
  const oidc = parseOidcProviderArn(arn);
  if (oidc) return { kind: "oidc", partition: oidc.partition, account: oidc.account, name: oidc.url };
  const m = SAML_PROVIDER.exec(arn);
  return m ? { kind: "saml", partition: m[1] as Partition, account: m[2]!, name: m[3]! } : undefined;
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
