/**
 * AWS managed policies: the ones AWS owns (`arn:aws:iam::aws:policy/…`), the same in every account,
 * read-only to customers (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies).
 * Only their default version is known here.
 */
export interface AwsManagedPolicy {
  readonly name: string;
  /** `/` or `/service-role/` … */
  readonly path: string;
  /** `ANPA…`, AWS's id for the policy. */
  readonly id: string;
  readonly description: string | undefined;
  readonly defaultVersion: string;
  /** The JSON text. */
  readonly document: string;
  /** ISO 8601, seconds. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The AWS managed policies the emulator knows, by ARN. */
export interface AwsManagedCatalog {
  get(arn: string): AwsManagedPolicy | undefined;
  /** Sorted by name. */
  list(): readonly AwsManagedPolicy[];
}

export const awsManagedArn = (p: Pick<AwsManagedPolicy, "path" | "name">) =>
  `arn:aws:iam::aws:policy${p.path}${p.name}`;

/** A catalog over a fixed list (the data package's, or a test's). */
export function catalogOf(policies: readonly AwsManagedPolicy[]): AwsManagedCatalog {
  const sorted = [...policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byArn = new Map(sorted.map((p) => [awsManagedArn(p), p]));
  return { get: (arn) => byArn.get(arn), list: () => sorted };
}

export const EMPTY_CATALOG: AwsManagedCatalog = catalogOf([]);
