/**
 * An IAM OIDC provider is named by its URL without the scheme: `https://login.app.env0.com/` →
 * `login.app.env0.com/` (trailing slash and path kept, case kept). That text is both the tail of the
 * provider's ARN and the prefix of its condition keys (`login.app.env0.com/:sub`). Matching a token's
 * `iss` to a provider is an exact comparison of that text (aws-identity-plane.md §4.1).
 */
export function providerKey(url: string): string | undefined {
  return url.startsWith("https://") ? url.slice("https://".length) : undefined;
}

export function providerArn(account: string, url: string, partition = "aws"): string | undefined {
  const key = providerKey(url);
  return key === undefined ? undefined : `arn:${partition}:iam::${account}:oidc-provider/${key}`;
}

const PROVIDER_ARN = /^arn:([^:]+):iam::(\d{12}):oidc-provider\/(.+)$/;

export function parseProviderArn(
  arn: string,
): { partition: string; account: string; key: string; url: string } | undefined {
  const match = PROVIDER_ARN.exec(arn);
  if (!match) return undefined;
  return { partition: match[1]!, account: match[2]!, key: match[3]!, url: `https://${match[3]}` };
}
