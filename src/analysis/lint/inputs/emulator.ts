import { unreachable } from "../../../lib/errors.js";
import { decodePolicyString } from "./iam-role.js";
import { LintInputError, type TrustPolicySource } from "./types.js";

/**
 * The accounts a keyless emulator holds roles or providers in (its `ListEmulatorAccounts` extension), or
 * undefined when the endpoint does not know the action (AWS itself, an older emulator) or does not answer:
 * the caller then reads the default account, which reports an unreachable endpoint. Signed with the default account's test credentials.
 */
export async function listEmulatorAccounts(
  endpoint: string,
  secret = process.env.KEYLESS_EMULATOR_SECRET ?? "test",
): Promise<string[] | undefined> {
  const [{ SignatureV4 }, { Hash }] = await Promise.all([
    import("@smithy/signature-v4"),
    import("@smithy/hash-node"),
  ]);
  const url = new URL(endpoint);
  const body = "Action=ListEmulatorAccounts&Version=2010-05-08";
  const signer = new SignatureV4({
    credentials: { accessKeyId: DEFAULT_ACCOUNT, secretAccessKey: secret },
    region: "us-east-1",
    service: "iam",
    sha256: Hash.bind(null, "sha256"),
  });
  const headers = { host: url.host, "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    headers,
    body,
  });
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: signed.headers as Record<string, string>,
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    // Not reachable: reading the default account's roles reports it (exit 3) with the account named.
    return undefined;
  }
  const text = await response.text();
  if (!response.ok) {
    if (/<Code>InvalidAction<\/Code>/.test(text)) return undefined;
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${response.status}`;
    throw new LintInputError(`--emulator ${endpoint}: cannot list the emulator's accounts: ${code}`);
  }
  return [...text.matchAll(/<member>(\d{12})<\/member>/g)].map((m) => m[1]!);
}

/** The emulator's default account (its `--account`), used when an endpoint cannot list its accounts. */
export const DEFAULT_ACCOUNT = "123456789012";

/**
 * The roles of a running keyless emulator (or any IAM endpoint reachable with static credentials):
 * ListRoles for each account, with the emulator's documented test credentials (access key id = the
 * account id, secret `test` unless KEYLESS_EMULATOR_SECRET says otherwise).
 */
export async function readEmulatorRoles(
  endpoint: string,
  accounts: readonly string[],
  secret = process.env.KEYLESS_EMULATOR_SECRET ?? "test",
): Promise<TrustPolicySource[]> {
  // Imported here: only this input needs the IAM client, and it is heavy to load.
  const { IAMClient, paginateListRoles } = await import("@aws-sdk/client-iam");
  const sources: TrustPolicySource[] = [];
  for (const account of accounts) {
    const iam = new IAMClient({
      endpoint,
      region: "us-east-1",
      maxAttempts: 2,
      credentials: { accessKeyId: account, secretAccessKey: secret },
    });
    try {
      for await (const page of paginateListRoles({ client: iam }, {})) {
        for (const role of page.Roles ?? []) {
          if (!role.AssumeRolePolicyDocument || !role.Arn) continue;
          sources.push({
            file: `emulator:${endpoint}`,
            location: role.Arn,
            policy: decodePolicyString(role.AssumeRolePolicyDocument),
            ...(role.MaxSessionDuration !== undefined ? { maxSessionDuration: role.MaxSessionDuration } : {}),
          });
        }
      }
    } catch (error) {
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const text = `--emulator ${endpoint}: cannot list the roles of account ${account}: ${e.name ?? "Error"}: ${e.message ?? String(error)}`;
      // No HTTP answer at all: the emulator is not there (exit 3); an IAM error is the input's (exit 2).
      throw e.$metadata?.httpStatusCode === undefined
        ? unreachable(text, { cause: error })
        : new LintInputError(text);
    } finally {
      iam.destroy();
    }
  }
  return sources;
}
