import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { Phase } from "../../analysis/init/index.js";
import {
  generate,
  INIT_FORMATS,
  INIT_PLATFORMS,
  isInitFormat,
  isInitPlatform,
  SCOPE_FLAGS,
  type ScopeFlag,
} from "../../analysis/init/index.js";
import { fileErrorFrom, inputError } from "../../lib/errors.js";

type Flags = Record<string, string | string[] | boolean | undefined>;

const collect = (value: string, previous: string[]) => [...previous, value];
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** `keyless init aws`: the AWS side of OIDC federation for a platform, least privilege by default. */
export function register(program: Command): void {
  const init = program
    .command("init")
    .description("write the cloud side of keyless federation")
    .addHelpText(
      "after",
      "\nExamples:\n  keyless init aws --platform github --account 111122223333 --organization acme --repository infra > main.tf\n  keyless init aws --platform tfc --format cloudformation --tooling-account 111122223333 --organization acme --project core --workspace prod --out stacks/\n",
    );
  const aws = init
    .command("aws")
    .description(
      "write the IAM OIDC provider and least-privilege roles for a CI platform (Terraform, CloudFormation, AWS CLI script or JSON)",
    )
    .requiredOption("--platform <platform>", INIT_PLATFORMS.join(", "))
    .option("--format <format>", INIT_FORMATS.join(", "), "terraform")
    .option("--out <dir>", "write files into DIR instead of printing to stdout")
    .option("--force", "overwrite files in --out")
    .option("--tooling-account <id>", "account of the identity provider and the OIDC role(s)")
    .option("--account <id>", "same as --tooling-account (single-account set-ups)")
    .option(
      "--workload-account <id>",
      "account whose role the tooling role chains into with sts:AssumeRole (repeatable)",
      collect,
      [] as string[],
    )
    .option("--name <prefix>", "role name prefix (default keyless-<platform>)")
    .option(
      "--thumbprint <sha1>",
      "TLS thumbprint for the provider (optional; repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--phase <phase>",
      "plan or apply: only that role of a phased platform (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--session-tags",
      "keyless issuer: the organization sends AWS session tags (adds sts:TagSession)",
    );
  for (const [flag, help] of Object.entries(SCOPE_FLAGS)) aws.option(`--${flag} <value>`, help);
  aws.addHelpText(
    "after",
    `
Examples:
  keyless init aws --platform github --account 111122223333 --organization acme --repository infra \\
      --owner-id 5550123 --repository-id 9876543 --branch main
  keyless init aws --platform tfc --format cloudformation --tooling-account 111122223333 \\
      --workload-account 444455556666 --organization acme --project core --workspace prod
  keyless init aws --platform env0 --format cli --account 111122223333 \\
      --organization-subject 'auth0|632b8219674bde0224a96141' --organization-id <uuid> > init.sh`,
  );
  aws.action((flags: Flags) => run(flags));
}

function run(flags: Flags): void {
  const platform = String(flags.platform);
  const format = String(flags.format);
  if (!isInitPlatform(platform))
    throw inputError(`--platform must be one of ${INIT_PLATFORMS.join(", ")}, not "${platform}"`);
  if (!isInitFormat(format))
    throw inputError(`--format must be one of ${INIT_FORMATS.join(", ")}, not "${format}"`);
  const tooling = (flags.toolingAccount ?? flags.account) as string | undefined;
  if (
    flags.toolingAccount !== undefined &&
    flags.account !== undefined &&
    flags.toolingAccount !== flags.account
  )
    throw inputError("--account and --tooling-account name the same account: give one");
  if (tooling === undefined)
    throw inputError("give the account of the identity provider: --tooling-account (or --account)");
  const phases = flags.phase as string[];
  for (const p of phases)
    if (p !== "plan" && p !== "apply") throw inputError(`--phase must be plan or apply, not "${p}"`);
  const scope: Partial<Record<ScopeFlag, string>> = {};
  for (const flag of Object.keys(SCOPE_FLAGS) as ScopeFlag[]) {
    const value = flags[camel(flag)];
    if (typeof value === "string") scope[flag] = value;
  }
  const options = {
    platform,
    scope,
    toolingAccount: tooling,
    workloadAccounts: flags.workloadAccount as string[],
    ...(typeof flags.name === "string" ? { name: flags.name } : {}),
    thumbprints: flags.thumbprint as string[],
    sessionTags: flags.sessionTags === true,
    phases: phases as Phase[],
  };
  const command = commandLine(platform, format, tooling, options.workloadAccounts, scope, flags);
  const output = generate(options, format, command);
  const out = flags.out as string | undefined;
  if (out === undefined) {
    if (output.stdout === "")
      throw inputError(
        "--format cloudformation-json with workload accounts writes one template per account: give --out DIR",
      );
    process.stdout.write(output.stdout);
  } else {
    try {
      mkdirSync(out, { recursive: true });
    } catch (error) {
      throw fileErrorFrom(error, "--out", out, "name a directory keyless can create or write in");
    }
    for (const f of output.files) {
      const path = join(out, f.path);
      if (existsSync(path) && flags.force !== true)
        throw inputError(`${path} exists; pass --force to overwrite`);
    }
    for (const f of output.files) {
      const path = join(out, f.path);
      writeFileSync(path, f.text, { mode: f.executable ? 0o755 : 0o644 });
      process.stderr.write(`wrote ${path}\n`);
    }
  }
  if (output.note) process.stderr.write(output.note);
  if (output.plan.unavoidable.length > 0) {
    for (const u of output.plan.unavoidable)
      process.stderr.write(`keyless: note: ${u.rule} remains: ${u.why}\n`);
  }
}

/** The command as a user would retype it, for the header of what is written. */
function commandLine(
  platform: string,
  format: string,
  tooling: string,
  workloads: readonly string[],
  scope: Partial<Record<ScopeFlag, string>>,
  flags: Flags,
): string {
  const quote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`);
  const parts = [
    "keyless init aws",
    `--platform ${platform}`,
    `--format ${format}`,
    `--tooling-account ${tooling}`,
  ];
  for (const w of workloads) parts.push(`--workload-account ${w}`);
  for (const [k, v] of Object.entries(scope)) parts.push(`--${k} ${quote(v!)}`);
  if (typeof flags.name === "string") parts.push(`--name ${quote(flags.name)}`);
  for (const p of flags.phase as string[]) parts.push(`--phase ${p}`);
  if (flags.sessionTags === true) parts.push("--session-tags");
  return parts.join(" ");
}
