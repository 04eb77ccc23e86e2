import "../sdk-quiet.js";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { isoSeconds } from "../../core/aws/time.js";
import { EXIT_STATUS } from "../../lib/errors.js";
import type { AssumedIdentity, AwsCredentials } from "../../runner/credentials.js";
import { CHILD_MARKER, serveCredentials, startCredentialServer } from "./credential-server.js";
import { accountOf, describeFailure, exchanger, type Failure } from "./exchange.js";
import { type StepIo, stepIo } from "./files.js";
import { type ActionInputs, readInputs } from "./inputs.js";

/**
 * The GitHub Action's entry point (action.yml: `runs.using: node20`, `main` and `post` both this
 * bundle, dist/bundle/action.js). One file plays three parts: the step (main), the post step (GitHub
 * sets `STATE_isPost`, saved by main), and the detached credential server of the refreshing mode.
 */
const env = process.env;
const io = stepIo(env, (text) => process.stdout.write(text));

if (env[CHILD_MARKER] === "1") await serveCredentials(env);
else if (env.STATE_isPost === "true") post(io, env);
else process.exitCode = await main(io, env);

async function main(io: StepIo, env: NodeJS.ProcessEnv): Promise<number> {
  if (env.GITHUB_STATE) io.saveState("isPost", "true");
  let plan: ReturnType<typeof exchanger>["plan"];
  try {
    const inputs = readInputs(io);
    if (inputs.refresh) return await refreshing(io, env, inputs);
    const exchange = exchanger(inputs, env);
    plan = exchange.plan;
    const { credentials, hops } = await exchange.obtain();
    // Masks first: nothing below may print a secret before the runner knows to hide it.
    io.mask(credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken);
    const account = accountOf(hops.at(-1)!);
    if (inputs.maskAccountId && account) io.mask(account);
    if (inputs.outputEnvCredentials) {
      io.exportVariable("AWS_ACCESS_KEY_ID", credentials.accessKeyId);
      io.exportVariable("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey);
      io.exportVariable("AWS_SESSION_TOKEN", credentials.sessionToken);
    }
    exportRegion(io, inputs);
    outputs(io, inputs, credentials, hops);
    succeeded(io, inputs, hops, `until ${isoSeconds(credentials.expiration)}`);
    return EXIT_STATUS.ok;
  } catch (error) {
    return failed(io, await describeFailure(error, plan));
  }
}

async function refreshing(io: StepIo, env: NodeJS.ProcessEnv, inputs: ActionInputs): Promise<number> {
  const started = await startCredentialServer(process.argv[1]!, env);
  const { message } = started;
  if (!message.ok) {
    rmSync(started.logFile, { force: true });
    return failed(io, message.failure);
  }
  io.mask(
    message.authorization,
    message.credentials.accessKeyId,
    message.credentials.secretAccessKey,
    message.credentials.sessionToken,
  );
  const account = accountOf(message.hops.at(-1)!);
  if (inputs.maskAccountId && account) io.mask(account);
  io.saveState("credentialServerPid", String(started.pid));
  io.saveState("credentialServerLog", started.logFile);
  io.exportVariable("AWS_CONTAINER_CREDENTIALS_FULL_URI", message.url);
  io.exportVariable("AWS_CONTAINER_AUTHORIZATION_TOKEN", message.authorization);
  // Static keys in the environment come first in every SDK's chain; an empty value counts as unset.
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
    if (env[name]) io.exportVariable(name, "");
  exportRegion(io, inputs);
  outputs(io, inputs, message.credentials, message.hops);
  succeeded(io, inputs, message.hops, "for the rest of the job (renewed by keyless before expiry)");
  return EXIT_STATUS.ok;
}

function exportRegion(io: StepIo, inputs: ActionInputs): void {
  io.exportVariable("AWS_REGION", inputs.region);
  io.exportVariable("AWS_DEFAULT_REGION", inputs.region);
}

/** configure-aws-credentials' outputs: the account and ARN always, the credentials when asked. */
function outputs(
  io: StepIo,
  inputs: ActionInputs,
  c: AwsCredentials,
  hops: readonly AssumedIdentity[],
): void {
  const last = hops.at(-1)!;
  io.setOutput("aws-account-id", accountOf(last) ?? "");
  io.setOutput("authenticated-arn", last.arn);
  if (inputs.outputCredentials) {
    io.setOutput("aws-access-key-id", c.accessKeyId);
    io.setOutput("aws-secret-access-key", c.secretAccessKey);
    io.setOutput("aws-session-token", c.sessionToken);
    io.setOutput("aws-expiration", isoSeconds(c.expiration));
  }
}

function succeeded(
  io: StepIo,
  inputs: ActionInputs,
  hops: readonly AssumedIdentity[],
  lasting: string,
): void {
  const shown = (arn: string) => (inputs.maskAccountId ? arn.replace(/::\d{12}:/, "::***:") : arn);
  for (const hop of hops) io.log(`keyless: assumed ${shown(hop.arn)}`);
  io.summary(
    [
      "### AWS credentials (keyless)",
      "",
      ...hops.map((hop, i) => `${i + 1}. \`${shown(hop.arn)}\``),
      "",
      `Valid ${lasting}.`,
      "",
    ].join("\n"),
  );
}

function failed(io: StepIo, failure: Failure): number {
  if (failure.explanation) for (const line of failure.explanation.trimEnd().split("\n")) io.log(line);
  io.error(`keyless: ${failure.message}`);
  io.summary(
    [
      "### AWS credentials (keyless): refused",
      "",
      `**${failure.message}**`,
      "",
      ...(failure.explanation ? ["```text", failure.explanation.trimEnd(), "```", ""] : []),
    ].join("\n"),
  );
  return failure.status;
}

/** The post step: stops the credential server, and prints its log (refreshes and their failures). */
function post(io: StepIo, env: NodeJS.ProcessEnv): void {
  const pid = Number(env.STATE_credentialServerPid);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, "SIGTERM");
      io.log(`keyless: stopped the credential server (pid ${pid})`);
    } catch {
      io.log(`keyless: the credential server (pid ${pid}) had already ended`);
    }
  }
  const logFile = env.STATE_credentialServerLog;
  if (logFile && existsSync(logFile)) {
    io.log(readFileSync(logFile, "utf8").trimEnd());
    rmSync(logFile, { force: true });
  }
}
