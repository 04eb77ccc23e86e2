import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type RunningEmulator, startEmulator } from "./emulator.js";
import { startTestIssuer, type TestIssuer } from "./oidc-issuer.js";

/**
 * One test OIDC issuer per provider key (`host` or `host/path`, as IAM names providers), each in its own
 * folder of `dir` and claiming `https://<key>`, and one emulator (data in `dir/data`) that trusts their
 * CAs with each key's host aliased to its issuer: for tests that send several providers' tokens to one
 * emulator. The issuers are added to `issuers` as they start, so the caller's `after` closes every one
 * that started, even when a later one or the emulator fails.
 */
export async function startEmulatorTrusting(
  dir: string,
  keys: Iterable<string>,
  issuers: Map<string, TestIssuer>,
): Promise<RunningEmulator> {
  const args: string[] = [];
  for (const [i, key] of [...keys].entries()) {
    const folder = join(dir, `issuer-${i}`);
    mkdirSync(folder);
    const issuer = await startTestIssuer(folder, { issuer: `https://${key}` });
    issuers.set(key, issuer);
    args.push("--trust-ca", issuer.caFile, "--issuer-alias", `${key.split("/")[0]}=${issuer.localUrl}`);
  }
  return startEmulator(join(dir, "data"), args);
}
