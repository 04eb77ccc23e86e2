import { parseRoleArn } from "../../core/aws/arn.js";
import { errorKind, unreachable } from "../../lib/errors.js";

/**
 * A role's trust policy as stored in a running keyless emulator: IAM GetRole with the emulator's
 * documented test credentials for the role's account (access key id = the account id, secret `test`
 * or KEYLESS_EMULATOR_SECRET). Used by `keyless explain --emulator` and by the runner's explanation
 * of a refusal. Returns the policy's JSON text.
 */
export class EmulatorRoleError extends errorKind("ERR_EMULATOR_ROLE", "input") {}

export async function trustPolicyFromEmulator(
  endpoint: string,
  roleArn: string,
  region = "us-east-1",
): Promise<string> {
  const role = parseRoleArn(roleArn);
  if (!role) throw new EmulatorRoleError(`${roleArn} is not a role ARN`);
  // Imported here: the IAM client costs a quarter of a second to load, and only this path needs it.
  const { GetRoleCommand, IAMClient } = await import("@aws-sdk/client-iam");
  const iam = new IAMClient({
    region,
    endpoint,
    maxAttempts: 1,
    credentials: {
      accessKeyId: role.account,
      secretAccessKey: process.env.KEYLESS_EMULATOR_SECRET ?? "test",
    },
  });
  try {
    const out = await iam.send(new GetRoleCommand({ RoleName: role.name }));
    const document = out.Role?.AssumeRolePolicyDocument;
    if (!document) throw new EmulatorRoleError(`the emulator returned no trust policy for ${roleArn}`);
    return decodeURIComponent(document);
  } catch (error) {
    if (error instanceof EmulatorRoleError) throw error;
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const text = `cannot read ${roleArn} from the emulator at ${endpoint}: ${e.name ?? "Error"}: ${e.message ?? String(error)}`;
    // No HTTP answer at all: the emulator is not there (exit 3); an IAM error is the input's (exit 2).
    throw e.$metadata?.httpStatusCode === undefined
      ? unreachable(text, { cause: error })
      : new EmulatorRoleError(text);
  } finally {
    iam.destroy();
  }
}
