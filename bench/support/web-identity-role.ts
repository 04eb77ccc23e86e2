import { seedWebIdentityRole } from "../../test/support/aws.js";

/** The issuer every emulator bench's tokens claim (GitHub's), served locally through an issuer alias. */
export const BENCH_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * The role every emulator bench assumes: `BENCH_ISSUER` registered as an OIDC provider (audience
 * `sts.amazonaws.com`) and the role `ci` trusting it under two conditions (`StringEquals` aud,
 * `StringLike` sub `repo:org/repo:*`), created with the AWS CLI at `endpoint` (the emulator or
 * moto_server) by the tests' own seeding helper; the administrator's HOME goes under `dir`.
 * Rejects when either call fails.
 */
export async function seedBenchRole(endpoint: string, dir: string, account: string): Promise<void> {
  await seedWebIdentityRole({
    endpoint,
    dir,
    account,
    providerUrl: BENCH_ISSUER,
    roleName: "ci",
    condition: {
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
      StringLike: { "token.actions.githubusercontent.com:sub": "repo:org/repo:*" },
    },
  });
}
