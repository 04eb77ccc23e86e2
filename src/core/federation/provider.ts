import { oidcProviderArn, type Partition, parseOidcProviderArn } from "../aws/arn.js";

/**
 * An IAM OIDC provider is named by its URL without the scheme: `https://login.app.env0.com/` →
 * `login.app.env0.com/` (trailing slash and path kept, case kept). That text is both the tail of the
 * provider's ARN and the prefix of its condition keys (`login.app.env0.com/:sub`). Matching a token's
 * `iss` to a provider is an exact comparison of that text
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
 */
export function providerKey(url: string): string | undefined {
  return url.startsWith("https://") ? url.slice("https://".length) : undefined;
}

/** The IAM provider ARN for a provider URL (`https://…`), or undefined for a URL that is not https. */
export function providerArn(account: string, url: string, partition: Partition = "aws"): string | undefined {
  const key = providerKey(url);
  return key === undefined ? undefined : oidcProviderArn(account, key, partition);
}

/** An OIDC provider ARN's parts: `key` is the provider text (condition-key prefix), `url` its https URL. */
export function parseProviderArn(
  arn: string,
): { partition: Partition; account: string; key: string; url: string } | undefined {
  const parsed = parseOidcProviderArn(arn);
  if (!parsed) return undefined;
  return {
    partition: parsed.partition,
    account: parsed.account,
    key: parsed.url,
    url: `https://${parsed.url}`,
  };
}
