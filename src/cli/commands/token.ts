import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import {
  chooseTokenSource,
  DETECTION_ORDER,
  type SourceName,
  systemSourceEnvironment,
} from "../../runner/token-sources.js";
import { checkOutputPath, writeSecretOutput } from "../output-file.js";
import { readCa } from "../runner-options.js";

/**
 * The job's ID token, from wherever the job runs: the keyless issuer (request URL + request token),
 * GitHub Actions, env0, Spacelift, HCP Terraform, Buildkite, CircleCI, GitLab (--from-env), a
 * Kubernetes projected token, or an explicit file or variable. Detected in a fixed order, said on
 * stderr; printed on stdout or written to a 0600 file (for AWS_WEB_IDENTITY_TOKEN_FILE).
 */
interface Flags {
  audience?: string;
  lifetime?: string;
  out?: string;
  ca?: string;
  source?: string;
  fromFile?: string;
  fromEnv?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command("token")
    .summary(
      "get the job's ID token (keyless issuer, GitHub Actions, GitLab, env0, Spacelift, HCP Terraform, …)",
    )
    .description(
      `Get this job's ID token and print it, or write it to a 0600 file. Sources are tried in this order:\n${DETECTION_ORDER.join(", ")};\n` +
        "--source, --from-file and --from-env choose one. The source used is said on stderr.",
    )
    .option(
      "--audience <aud>",
      "audience to request (request-URL sources and Buildkite; others carry their platform's)",
    )
    .option(
      "--lifetime <seconds>",
      "token lifetime in seconds (keyless issuer only; capped by the organization)",
    )
    .option("--out <file>", "write the token to this file (mode 0600) instead of printing it")
    .option("--ca <file>", "extra CA certificate (PEM) to trust for the issuer")
    .option("--source <name>", `token source instead of detection: ${DETECTION_ORDER.join(", ")}`)
    .option("--from-file <path>", "read the token from this file")
    .option(
      "--from-env <variable>",
      "read the token from this environment variable (a GitLab id_tokens variable)",
    )
    .option("--quiet", "do not say which source was used")
    .addHelpText(
      "after",
      `
Examples:
  keyless token --audience sts.amazonaws.com --out "$RUNNER_TEMP/token"
  export AWS_WEB_IDENTITY_TOKEN_FILE="$RUNNER_TEMP/token"
  keyless token --from-env AWS_ID_TOKEN | keyless decode -`,
    )
    .action(async (flags: Flags) => {
      if (flags.source !== undefined && !(DETECTION_ORDER as readonly string[]).includes(flags.source)) {
        throw inputError(`--source ${flags.source}: expected one of ${DETECTION_ORDER.join(", ")}`);
      }
      let lifetimeSeconds: number | undefined;
      if (flags.lifetime !== undefined) {
        if (!/^\d+$/.test(flags.lifetime)) throw inputError("--lifetime must be a number of seconds");
        lifetimeSeconds = Number(flags.lifetime);
      }
      // A wrong --out fails before a token is minted, so no live token is left anywhere.
      if (flags.out) checkOutputPath(flags.out, "--out");
      const source = chooseTokenSource(
        {
          source: flags.source as SourceName | undefined,
          fromFile: flags.fromFile,
          fromEnv: flags.fromEnv,
        },
        systemSourceEnvironment(flags.ca === undefined ? {} : { ca: readCa(flags.ca) }),
      );
      if (!flags.quiet) process.stderr.write(`keyless: token from ${source.description}\n`);
      if (flags.audience !== undefined && !source.audienceSelectable && !flags.quiet) {
        process.stderr.write(
          `keyless: note: ${source.name} tokens carry the platform's own audience; --audience is not sent\n`,
        );
      }
      const token = await source.fetch(
        flags.audience,
        lifetimeSeconds === undefined ? {} : { lifetimeSeconds },
      );
      if (flags.out) writeSecretOutput(flags.out, token, "--out");
      else process.stdout.write(`${token}\n`);
    });
}
