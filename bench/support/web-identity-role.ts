import { spawnSync } from "node:child_process";
import { webIdentityTrust } from "../../test/support/aws.js";

/** The issuer every emulator bench's tokens claim (GitHub's), served locally through an issuer alias. */
export const BENCH_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * Registers `BENCH_ISSUER` as an OIDC provider (audience `sts.amazonaws.com`) and creates the role `ci`
 * that trusts it with two conditions (`StringEquals` aud, `StringLike` sub `repo:org/repo:*`), through
 * the AWS CLI at `endpoint` (the emulator or moto_server) with `env`'s credentials. Throws the CLI's
 * stderr when either call fails.
 */
export function seedWebIdentityRole(endpoint: string, env: NodeJS.ProcessEnv, account: string): void {
  const aws = (args: string[]) => {
    const r = spawnSync("aws", ["--endpoint-url", endpoint, ...args], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  const trust = webIdentityTrust(account, BENCH_ISSUER, {
    StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
    StringLike: { "token.actions.githubusercontent.com:sub": "repo:org/repo:*" },
  });
  aws([
    "iam",
    "create-open-id-connect-provider",
    "--url",
    BENCH_ISSUER,
    "--client-id-list",
    "sts.amazonaws.com",
    "--thumbprint-list",
    "6938fd4d98bab03faadb97b34396831e3780aea1",
  ]);
  aws(["iam", "create-role", "--role-name", "ci", "--assume-role-policy-document", JSON.stringify(trust)]);
}
