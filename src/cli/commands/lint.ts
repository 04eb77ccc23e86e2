import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Command } from "commander";
import { type Finding, isSeverity, type Severity, severityRank } from "../../analysis/lint/findings.js";
import {
  DEFAULT_ACCOUNT,
  listEmulatorAccounts,
  readEmulatorRoles,
} from "../../analysis/lint/inputs/emulator.js";
import { readTrustPolicies } from "../../analysis/lint/inputs/index.js";
import { lintSource } from "../../analysis/lint/lint.js";
import { formatJson } from "../../analysis/lint/output/json.js";
import type { Report } from "../../analysis/lint/output/report.js";
import { formatSarif } from "../../analysis/lint/output/sarif.js";
import { formatText } from "../../analysis/lint/output/text.js";
import { isPlatformId, PLATFORM_IDS, type PlatformId } from "../../analysis/lint/platform.js";
import { readSuppressions, type Suppression, suppressionFor } from "../../analysis/lint/suppressions.js";
import { isAccountId } from "../../core/aws/identifiers.js";
import { inputError, negativeAnswer } from "../../lib/errors.js";

interface LintFlags {
  format: string;
  failOn: string;
  platform: string[];
  suppressions?: string;
  durationSeconds?: string;
  emulator?: string;
  emulatorAccount: string[];
}

export function register(program: Command): void {
  program
    .command("lint")
    .description(
      "find trust policies that let the wrong party in (or keep the right one out), on every CI platform",
    )
    .argument(
      "[paths...]",
      "policy JSON, `aws iam get-role` output, `terraform show -json` output, CloudFormation templates, or directories of them",
    )
    .option("--format <format>", "text, json or sarif", "text")
    .option(
      "--fail-on <severity>",
      "exit 1 when a finding is at or above: critical, high, medium, low, info",
      "high",
    )
    .option(
      "--platform <platform>",
      `platform for providers on custom hosts: ${PLATFORM_IDS.join(", ")}; or HOST=PLATFORM for one host (repeatable)`,
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--suppressions <file>",
      "suppressions file (default: .keyless-lint.json in the current directory, if any)",
    )
    .option("--duration-seconds <n>", "the DurationSeconds your pipeline requests (checks OIDC-107)")
    .option("--emulator <url>", "also lint every role of a running keyless emulator")
    .option(
      "--emulator-account <id>",
      "with --emulator: an account to list (repeatable; default: every account the emulator holds)",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .addHelpText(
      "after",
      `
Examples:
  keyless lint trust.json
  keyless lint --format sarif infra/ > keyless.sarif
  terraform show -json plan.out > plan.json && keyless lint plan.json --fail-on medium
  keyless lint --platform ci.example.com=gitlab roles/`,
    )
    .action(async (paths: string[], flags: LintFlags) => {
      const output = await run(paths, flags);
      // Wait until the report is handed to the OS: on a pipe stdout is asynchronous, and the exit that
      // follows a negative answer would cut a large JSON or SARIF report short.
      await new Promise<void>((done) => process.stdout.write(output.text, () => done()));
      if (output.failed) throw negativeAnswer(`lint: findings at or above --fail-on ${flags.failOn}`);
    });
}

async function run(paths: string[], flags: LintFlags): Promise<{ text: string; failed: boolean }> {
  if (!["text", "json", "sarif"].includes(flags.format))
    throw inputError(`--format must be text, json or sarif, not "${flags.format}"`);
  if (!isSeverity(flags.failOn))
    throw inputError(`--fail-on must be critical, high, medium, low or info, not "${flags.failOn}"`);
  for (const account of flags.emulatorAccount)
    if (!isAccountId(account)) throw inputError(`--emulator-account ${account}: expected 12 digits`);
  if (paths.length === 0 && flags.emulator === undefined)
    throw inputError("name files or directories to lint, or --emulator URL");
  const failOn: Severity = flags.failOn;
  const platforms = parsePlatforms(flags.platform);
  let durationSeconds: number | undefined;
  if (flags.durationSeconds !== undefined) {
    durationSeconds = Number(flags.durationSeconds);
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) {
      throw inputError("--duration-seconds must be an integer from 900 to 43200");
    }
  }
  const suppressionsPath =
    flags.suppressions ?? (existsSync(".keyless-lint.json") ? ".keyless-lint.json" : undefined);
  const suppressions: Suppression[] = suppressionsPath ? readSuppressions(suppressionsPath) : [];
  const fromFiles = paths.length > 0 ? readTrustPolicies(paths) : [];
  const fromEmulator = flags.emulator !== undefined ? await emulatorSources(flags.emulator, flags) : [];
  const sources = [...fromFiles, ...fromEmulator];
  const findings: Finding[] = [];
  const suppressed: Report["suppressed"][number][] = [];
  for (const source of sources) {
    for (const finding of lintSource(source, { platforms, durationSeconds })) {
      const s = suppressionFor(finding, suppressions);
      if (s) suppressed.push({ finding, reason: s.reason });
      else findings.push(finding);
    }
  }
  const report: Report = { findings, suppressed, policies: sources.length };
  const text =
    flags.format === "json"
      ? formatJson(report)
      : flags.format === "sarif"
        ? formatSarif(report, process.env.npm_package_version ?? "0.1.0", ruleDocs())
        : formatText(report, ruleDocs());
  return { text, failed: findings.some((f) => severityRank(f.severity) >= severityRank(failOn)) };
}

/** Every role of every account the emulator holds (or of the named accounts); none at all is a negative
 * answer, said on stderr: a CI job pointed at an empty or wrong emulator must not pass. */
async function emulatorSources(endpoint: string, flags: LintFlags) {
  const accounts =
    flags.emulatorAccount.length > 0
      ? flags.emulatorAccount
      : ((await listEmulatorAccounts(endpoint)) ?? [DEFAULT_ACCOUNT]);
  const sources = accounts.length > 0 ? await readEmulatorRoles(endpoint, accounts) : [];
  if (sources.length === 0) {
    throw negativeAnswer(
      `lint --emulator ${endpoint}: no roles found in ${accounts.length === 0 ? "any account (the emulator holds none)" : `account${accounts.length > 1 ? "s" : ""} ${accounts.join(", ")}`}: nothing was linted`,
    );
  }
  return sources;
}

/**
 * The rule pages' base URI: KEYLESS_RULE_DOCS_URL (the docs as hosted, e.g. on the project's forge), else
 * the `docs/rules/` shipped in the package, as a file: URI (found upward from this module: dist/bundle or
 * dist/src/cli/commands).
 */
function ruleDocs(): string {
  const configured = process.env.KEYLESS_RULE_DOCS_URL;
  if (configured) return configured.endsWith("/") ? configured : `${configured}/`;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "docs", "rules"))) return pathToFileURL(join(dir, "docs", "rules")).href + "/";
    dir = dirname(dir);
  }
  return pathToFileURL(join(process.cwd(), "docs", "rules")).href + "/";
}

function parsePlatforms(values: readonly string[]): {
  fallback?: PlatformId;
  byHost: Map<string, PlatformId>;
} {
  const byHost = new Map<string, PlatformId>();
  let fallback: PlatformId | undefined;
  for (const value of values) {
    const eq = value.lastIndexOf("=");
    const id = eq < 0 ? value : value.slice(eq + 1);
    if (!isPlatformId(id))
      throw inputError(`--platform: unknown platform "${id}"; use one of ${PLATFORM_IDS.join(", ")}`);
    if (eq < 0) fallback = id;
    else byHost.set(value.slice(0, eq).replace(/^https:\/\//, ""), id);
  }
  return fallback ? { fallback, byHost } : { byHost };
}
