import { unreachable } from "../../../lib/errors.js";
import { decodePolicyString } from "./iam-role.js";
import { LintInputError, type TrustPolicySource } from "./types.js";

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
