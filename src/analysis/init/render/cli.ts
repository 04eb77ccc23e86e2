import type { InitPlan, RoleSpec } from "../plan.js";
import { headerLines, policyJson, roleLines } from "./notes.js";

/**
 * The `cli` form: a bash script of AWS CLI calls that can be run again (it updates what exists). Policies
 * go through quoted heredocs into temporary files (`file://`), so the shell never expands them. Each
 * account's calls use `KEYLESS_PROFILE_<account>` when set, and the script refuses to write into an
 * account its credentials are not for.
 */
export function renderCli(plan: InitPlan, command: string): string {
  const p = plan.provider;
  const accounts = [
    p.account,
    ...new Set(plan.roles.filter((r) => r.kind === "chained").map((r) => r.account)),
  ];
  const out: string[] = [
    "#!/usr/bin/env bash",
    ...comment(headerLines(plan, command)),
    "#",
    "# Run with credentials that can manage IAM in each account: the current ones, or a named profile",
    `# per account in KEYLESS_PROFILE_<account> (e.g. KEYLESS_PROFILE_${p.account}=tooling-admin).`,
    "# The AWS CLI honours AWS_ENDPOINT_URL, so the same script runs against an emulator.",
    "set -euo pipefail",
    "",
    "# aws_in ACCOUNT ARGS...: the AWS CLI with the credentials chosen for ACCOUNT.",
    "aws_in() {",
    '  local account="$1"',
    "  shift",
    '  local profile_var="KEYLESS_PROFILE_${account}"',
    '  if [ -n "${!profile_var:-}" ]; then',
    '    aws --profile "${!profile_var}" "$@"',
    "  else",
    '    aws "$@"',
    "  fi",
    "}",
    "",
    "# check_account ACCOUNT: stop before writing anything into the wrong account.",
    "check_account() {",
    "  local actual",
    '  actual="$(aws_in "$1" sts get-caller-identity --query Account --output text)"',
    '  if [ "$actual" != "$1" ]; then',
    '    echo "keyless: the credentials for account $1 are for account $actual; set KEYLESS_PROFILE_$1" >&2',
    "    exit 1",
    "  fi",
    "}",
    "",
    "# put_role ACCOUNT NAME DESCRIPTION MAX_SESSION TRUST_FILE: create the role, or bring an existing one",
    "# to this trust policy, description and session length.",
    "put_role() {",
    '  if aws_in "$1" iam get-role --role-name "$2" >/dev/null 2>&1; then',
    '    aws_in "$1" iam update-assume-role-policy --role-name "$2" --policy-document "file://$5"',
    '    aws_in "$1" iam update-role --role-name "$2" --description "$3" --max-session-duration "$4"',
    '    echo "updated role $2 in $1" >&2',
    "  else",
    '    aws_in "$1" iam create-role --role-name "$2" --description "$3" --max-session-duration "$4" \\',
    '      --assume-role-policy-document "file://$5" >/dev/null',
    '    echo "created role $2 in $1" >&2',
    "  fi",
    "}",
    "",
    'workdir="$(mktemp -d)"',
    "trap 'rm -rf \"$workdir\"' EXIT",
    "",
    ...accounts.map((a) => `check_account ${a}`),
    "",
  ];
  // A built-in provider (Google, Cognito) has no IAM resource: the trust names the bare host.
  if (!p.builtin) out.push(...providerCalls(plan));
  for (const role of plan.roles) out.push(...roleCalls(role), "");
  out.push(
    ...comment(["The roles, for the pipeline's configuration:"]),
    ...plan.roles.map((r) => `echo ${q(r.arn)}`),
  );
  return `${out.join("\n")}\n`;
}

function providerCalls(plan: InitPlan): string[] {
  const p = plan.provider;
  return [
    ...comment([
      `The identity provider for ${p.url}: created, or (if the account has it) given our audience.`,
      "No ThumbprintList: AWS verifies publicly trusted certificates itself.",
      "The values go through --cli-input-json: AWS CLI v1 would fetch a parameter that starts with",
      "https:// (an audience that is a URL, as GitLab's) instead of sending it.",
    ]),
    `provider_arn=${q(p.arn)}`,
    `if aws_in ${p.account} iam get-open-id-connect-provider --open-id-connect-provider-arn "$provider_arn" >/dev/null 2>&1; then`,
    ...p.clientIds.flatMap((c) => [
      `  cat >"$workdir/client-id.json" <<'JSON'`,
      JSON.stringify({ OpenIDConnectProviderArn: p.arn, ClientID: c }),
      "JSON",
      `  aws_in ${p.account} iam add-client-id-to-open-id-connect-provider --cli-input-json "file://$workdir/client-id.json"`,
    ]),
    '  echo "identity provider exists: $provider_arn" >&2',
    "else",
    `  cat >"$workdir/provider.json" <<'JSON'`,
    JSON.stringify({
      Url: p.url,
      ClientIDList: p.clientIds,
      ...(p.thumbprints.length > 0 ? { ThumbprintList: p.thumbprints } : {}),
    }),
    "JSON",
    `  aws_in ${p.account} iam create-open-id-connect-provider --cli-input-json "file://$workdir/provider.json" >/dev/null`,
    '  echo "created identity provider $provider_arn" >&2',
    "fi",
    "",
  ];
}

function roleCalls(role: RoleSpec): string[] {
  const file = `"$workdir/${role.id}.trust.json"`;
  const lines = [
    ...comment(roleLines(role)),
    `cat >${file} <<'POLICY'`,
    policyJson(role.trustPolicy),
    "POLICY",
    `put_role ${role.account} ${q(role.name)} ${q(role.description)} ${role.maxSessionDuration} ${file}`,
  ];
  if (role.inlinePolicy) {
    const policyFile = `"$workdir/${role.id}.permissions.json"`;
    lines.push(
      "# Only the chaining hop: sts:AssumeRole on the workload roles of the same phase.",
      `cat >${policyFile} <<'POLICY'`,
      policyJson(role.inlinePolicy.document),
      "POLICY",
      `aws_in ${role.account} iam put-role-policy --role-name ${q(role.name)} --policy-name ${q(role.inlinePolicy.name)} \\`,
      `  --policy-document "file://$workdir/${role.id}.permissions.json"`,
    );
  }
  return lines;
}

/** Single-quoted for bash: nothing inside is expanded. */
const q = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

const comment = (lines: readonly string[]) => lines.map((l) => (l === "" ? "#" : `# ${l}`));
