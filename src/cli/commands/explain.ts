import type { Command } from "commander";
import { trustPolicyFromEmulator } from "../../analysis/explain/emulator-role.js";
import { renderExplanation } from "../../analysis/explain/render.js";
import { explainAssumeRole, explainAssumeRoleWithWebIdentity } from "../../analysis/explain/report.js";
import { explainEvent } from "../../aws/authz/explain-event.js";
import { isAccountId, isRoleSessionName } from "../../core/aws/identifiers.js";
import { PolicyError, parsePolicy } from "../../core/policy/index.js";
import { decodeToken, TokenDecodeError } from "../../core/token/decode.js";
import { inputError, negativeAnswer } from "../../lib/errors.js";
import { readInput, readJsonObject } from "../input.js";
import { findEvent } from "./emulator-events.js";

export function register(program: Command): void {
  program
    .command("explain")
    .summary("say which statement and condition let a token in, or kept it out")
    .description(
      "Evaluate a role's trust policy for sts:AssumeRoleWithWebIdentity with a token's claims, exactly as STS\n" +
        "builds the request (aud from azp, session tags, sts:TagSession), and print the decision with every\n" +
        "statement and condition: the token's value, the policy's value, and the outcome.\n" +
        "With --caller instead of a token, explain sts:AssumeRole by a role session (role chaining).\n" +
        "Exit status: 0 allow, 1 deny, 2 bad input.",
    )
    .option("--policy <file>", "the role's trust policy (JSON; - for standard input)")
    .option(
      "--emulator <url>",
      "instead of --policy: read the trust policy of --role-arn from a running keyless emulator",
    )
    .option("--token <file>", "a JWT (decoded without verifying its signature; - for standard input)")
    .option("--claims <file>", "the token's claims as a JSON object, instead of --token")
    .option(
      "--caller <arn>",
      "explain sts:AssumeRole by this principal (e.g. arn:aws:sts::111111111111:assumed-role/Tooling/ci)",
    )
    .option(
      "--role-arn <arn>",
      "the role: with --emulator, whose trust policy to read; with --caller, the role being assumed",
    )
    .option("--context <key=value>", "with --caller: an extra request-context key (repeatable)", collect, [])
    .option("--provider-url <url>", "the IAM OIDC provider's URL (default: the token's iss)")
    .option(
      "--account <id>",
      "the account holding the provider (default: from the policy's Federated principal)",
    )
    .option("--session-name <name>", "the RoleSessionName the job would send", "keyless-explain")
    .option("--json", 'print a machine-readable report whose top level has "decision"')
    .option("--event <id>", "instead: explain an emulator call from its decision-log event (with --data-dir)")
    .option("--data-dir <dir>", "with --event: the emulator's data dir (keyless dev: .keyless/dev/aws)")
    .addHelpText(
      "after",
      `
Examples:
  keyless explain --policy trust.json --token web-identity-token.txt
  keyless explain --policy trust.json --claims claims.json --provider-url https://id.example.com/
  keyless explain --policy trust.json --token token.jwt --json | jq .decision
  keyless explain --policy workload-trust.json --caller arn:aws:sts::111111111111:assumed-role/Tooling/ci
  keyless explain --emulator http://127.0.0.1:4566 --role-arn arn:aws:iam::111111111111:role/deploy --token token.jwt
  keyless explain --event 6f1c…-… --data-dir .keyless/emulator`,
    )
    .action(async (options: ExplainOptions) => {
      if (options.event !== undefined) {
        if (options.dataDir === undefined)
          throw inputError("--event needs --data-dir (the emulator's data dir)");
        const event = findEvent(options.dataDir, options.event);
        process.stdout.write(options.json ? `${JSON.stringify(event, null, 2)}\n` : explainEvent(event));
        if (event.errorCode) throw negativeAnswer(`explain: ${event.errorCode}`);
        return;
      }
      const report = await explain(options);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderExplanation(report));
      if (report.decision !== "allow") throw negativeAnswer(`explain: ${report.decision}`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface ExplainOptions {
  policy?: string;
  emulator?: string;
  caller?: string;
  roleArn?: string;
  context: string[];
  token?: string;
  claims?: string;
  providerUrl?: string;
  account?: string;
  sessionName: string;
  json?: boolean;
  event?: string;
  dataDir?: string;
}

async function explain(options: ExplainOptions) {
  const sources = [options.token, options.claims, options.caller].filter((s) => s !== undefined).length;
  if (sources !== 1) throw inputError("give exactly one of --token FILE, --claims FILE or --caller ARN");
  if (!isRoleSessionName(options.sessionName)) {
    throw inputError(
      `--session-name "${options.sessionName}" is not valid: 2 to 64 characters of letters, digits and +=,.@_-`,
    );
  }
  if (options.account !== undefined && !isAccountId(options.account))
    throw inputError(`--account must be 12 digits, not "${options.account}"`);
  if ((options.policy === undefined) === (options.emulator === undefined)) {
    throw inputError("give the trust policy with --policy FILE, or with --emulator URL --role-arn ARN");
  }
  if (options.emulator !== undefined && options.roleArn === undefined)
    throw inputError("--emulator needs --role-arn: the role whose trust policy to read");
  let text: string;
  if (options.emulator !== undefined) {
    text = await trustPolicyFromEmulator(options.emulator, options.roleArn!);
  } else text = readInput(options.policy!, "policy");
  const source = options.policy ?? options.roleArn!;
  let policy: ReturnType<typeof parsePolicy>;
  try {
    policy = parsePolicy(text, { kind: "trust" });
  } catch (error) {
    if (error instanceof PolicyError)
      throw inputError(`policy ${source} is malformed: ${error.message}`, { cause: error });
    throw error;
  }
  if (options.caller !== undefined) return explainCaller(options, policy);
  let claims: Record<string, unknown>;
  if (options.token !== undefined) {
    try {
      claims = decodeToken(readInput(options.token, "token")).claims;
    } catch (error) {
      if (error instanceof TokenDecodeError)
        throw inputError(`token ${options.token} is ${error.message}`, { cause: error });
      throw error;
    }
  } else claims = readJsonObject(options.claims!, "claims");
  return explainAssumeRoleWithWebIdentity({
    policy,
    claims,
    providerUrl: options.providerUrl,
    account: options.account,
    sessionName: options.sessionName,
    now: Date.now(),
  });
}

function explainCaller(options: ExplainOptions, policy: ReturnType<typeof parsePolicy>) {
  // Null prototype: a key named "__proto__" (or "constructor") is a key like any other, not dropped.
  const context: Record<string, string> = Object.create(null);
  for (const pair of options.context) {
    const at = pair.indexOf("=");
    if (at <= 0) throw inputError(`--context "${pair}" must be KEY=VALUE, e.g. aws:PrincipalTag/team=red`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return explainAssumeRole({
    policy,
    callerArn: options.caller!,
    targetRoleArn: options.roleArn,
    sessionName: options.sessionName,
    context,
    now: Date.now(),
  });
}
