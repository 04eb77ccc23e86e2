import { appendFileSync } from "node:fs";
import type { Command } from "commander";
import { fileErrorFrom, inputError } from "../../lib/errors.js";
import { type AssumeOutcome, runAssume } from "../../runner/assume.js";
import {
  formatCredentialProcess,
  formatDotenv,
  formatEnv,
  formatJson,
  OUTPUT_FORMATS,
  type OutputFormat,
  shellQuote,
} from "../../runner/outputs.js";
import { defaultProfileTarget, writeProfile } from "../../runner/profile.js";
import { checkOutputPath, writeSecretOutput } from "../output-file.js";
import { type AssumeFlags, addAssumeOptions, buildPlan, explainFailure } from "../runner-options.js";

interface Flags extends AssumeFlags {
  format: string;
  out?: string;
  profile?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command("assume")
    .summary(
      "exchange the job's ID token for AWS credentials (AssumeRoleWithWebIdentity, then chained roles)",
    )
    .description(
      "Get the job's ID token (detected: keyless issuer, GitHub Actions, env0, Spacelift, HCP Terraform,\n" +
        "Buildkite, CircleCI, GitLab via --from-env, Kubernetes), exchange it with STS\n" +
        "AssumeRoleWithWebIdentity, chain into --chain-role-arn roles, and hand the credentials on.\n" +
        "Only throttling, IDPCommunicationError and network errors are retried; a refusal fails at once\n" +
        "and says why (against the keyless emulator: the trust policy evaluated with this token).",
    )
    .option("--format <format>", `env | dotenv | json | credential-process | profile`, "env")
    .option("--out <file>", "write there instead of stdout (dotenv appends, e.g. $GITHUB_ENV or $ENV0_ENV)")
    .option(
      "--profile <name>",
      "with --format profile: the profile to write into the AWS shared files",
      "default",
    )
    .option("--quiet", "no progress lines on stderr");
  addAssumeOptions(command).addHelpText(
    "after",
    `
Examples:
  eval "$(keyless assume --role-arn arn:aws:iam::123456789012:role/deploy)"
  keyless assume --format dotenv --out "$GITHUB_ENV"
  keyless assume --chain-role-arn arn:aws:iam::210987654321:role/cicd --format profile --profile cicd
  credential_process = keyless assume --format credential-process --role-arn …   (in ~/.aws/config)`,
  );
  command.action(async (flags: Flags) => {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(flags.format)) {
      throw inputError(`--format ${flags.format}: expected ${OUTPUT_FORMATS.join(", ")}`);
    }
    const format = flags.format as OutputFormat;
    const plan = buildPlan(flags);
    // A wrong --out fails before a token is fetched or credentials exist, so nothing secret is left behind.
    if (flags.out !== undefined) checkOutputPath(flags.out, "--out");
    const log = (line: string) => {
      if (!flags.quiet && format !== "credential-process") process.stderr.write(`keyless: ${line}\n`);
    };
    log(`token from ${plan.source.description}`);
    let outcome: AssumeOutcome;
    try {
      outcome = await runAssume(plan);
    } catch (error) {
      return explainFailure(error, plan);
    }
    log(`role ${outcome.role.arn} (from ${outcome.role.from}), session ${outcome.sessionName}`);
    for (const hop of outcome.hops) log(`assumed ${hop.arn}`);
    log(`credentials expire ${new Date(outcome.credentials.expiration).toISOString()}`);
    deliver(format, flags, outcome, plan.target.region);
  });
}

/**
 * In GitHub Actions the runner masks values announced with `::add-mask::` on stdout. Credentials
 * printed for `eval` are masked by printing the announcement from the evaluated text itself; written
 * to a file, they are announced directly. credential-process output is read by an SDK: no announcement.
 */
function maskLines(outcome: AssumeOutcome): string[] {
  if (process.env.GITHUB_ACTIONS !== "true") return [];
  return [outcome.credentials.secretAccessKey, outcome.credentials.sessionToken].map(
    (s) => `::add-mask::${s}`,
  );
}

function deliver(format: OutputFormat, flags: Flags, outcome: AssumeOutcome, region: string): void {
  const { credentials } = outcome;
  const masks = maskLines(outcome);
  switch (format) {
    case "env": {
      const text = masks.map((m) => `echo ${shellQuote(m)}\n`).join("") + formatEnv(credentials, region);
      emit(text, flags.out, masks);
      return;
    }
    case "dotenv": {
      const text = formatDotenv(credentials, region);
      if (flags.out) {
        // Appending is what $GITHUB_ENV and $ENV0_ENV expect; the file keeps its owner's mode.
        try {
          appendFileSync(flags.out, text, { mode: 0o600 });
        } catch (error) {
          throw fileErrorFrom(error, "--out", flags.out, "name a file keyless can append to");
        }
        for (const m of masks) process.stdout.write(`${m}\n`);
        return;
      }
      process.stdout.write(text);
      return;
    }
    case "json":
      emit(formatJson(credentials, outcome.identity), flags.out, masks);
      return;
    case "credential-process":
      emit(formatCredentialProcess(credentials), flags.out, []);
      return;
    case "profile":
      writeProfileOrSay(flags.profile ?? "default", credentials, region);
      for (const m of masks) process.stdout.write(`${m}\n`);
      process.stderr.write(
        `keyless: wrote profile "${flags.profile ?? "default"}" (use --profile ${flags.profile ?? "default"} or AWS_PROFILE)\n`,
      );
  }
}

function writeProfileOrSay(profile: string, credentials: AssumeOutcome["credentials"], region: string): void {
  const target = defaultProfileTarget();
  try {
    writeProfile(target, profile, credentials, region);
  } catch (error) {
    throw fileErrorFrom(
      error,
      "AWS shared files",
      `${target.credentialsFile}, ${target.configFile}`,
      "make them writable, or set AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE",
    );
  }
}

function emit(text: string, out: string | undefined, masks: string[]): void {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  writeSecretOutput(out, text, "--out");
  for (const m of masks) process.stdout.write(`${m}\n`);
}
