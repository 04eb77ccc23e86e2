import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Command } from "commander";
import { systemClock } from "../../lib/clock.js";
import { EXIT_STATUS, GeneralError } from "../../lib/errors.js";
import { type AssumeOutcome, runAssume } from "../../runner/assume.js";
import { startCredentialEndpoint } from "../../runner/credential-endpoint.js";
import {
  defaultProfileCredentialSettings,
  defaultProfileRegion,
  defaultProfileTarget,
} from "../../runner/profile.js";
import { CredentialRefresher } from "../../runner/refresher.js";
import { type AssumeFlags, addAssumeOptions, buildPlan, explainFailure } from "../runner-options.js";
import { withUserSdkSetting } from "../sdk-quiet.js";
import { inTerminalForeground } from "../terminal.js";

/**
 * `keyless exec -- CMD`: run a command with AWS credentials that stay valid for as long as it runs.
 * The child reads them from a loopback endpoint in the container-credentials shape (see
 * runner/credential-endpoint.ts for why this and not a token file or a profile); the runner keeps
 * them fresh in the background, fetching a new ID token from its source for every refresh.
 */
const SCRUBBED = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_SECURITY_TOKEN",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CREDENTIAL_EXPIRATION",
];
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
/** The signals a terminal's keys send to its foreground process group. */
const KEYBOARD: ReadonlySet<NodeJS.Signals> = new Set(["SIGINT", "SIGQUIT"]);

interface Flags extends AssumeFlags {
  quiet?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command("exec")
    .summary("run a command with AWS credentials that refresh by themselves for as long as it runs")
    .description(
      "Assume the role like `keyless assume`, then run CMD with AWS_CONTAINER_CREDENTIALS_FULL_URI and\n" +
        "AWS_CONTAINER_AUTHORIZATION_TOKEN pointing at a loopback endpoint that always serves valid\n" +
        "credentials: every AWS SDK, the AWS CLI and Terraform refresh from it before expiry, so a\n" +
        "four-hour terraform apply never sees ExpiredToken. Static AWS_* credentials and AWS_PROFILE are\n" +
        "removed from the child's environment. Exit status, signals and stdio of CMD pass through.",
    )
    .argument("<command...>", "the command and its arguments (after --)")
    .option("--quiet", "no progress lines on stderr")
    .passThroughOptions();
  addAssumeOptions(command).addHelpText(
    "after",
    `
Examples:
  keyless exec --role-arn arn:aws:iam::123456789012:role/deploy -- terraform apply -auto-approve
  keyless exec --chain-role-arn arn:aws:iam::210987654321:role/cicd -- aws sts get-caller-identity`,
  );
  command.action(async (argv: string[], flags: Flags) => {
    const plan = buildPlan(flags);
    const log = (line: string) => {
      if (!flags.quiet) process.stderr.write(`keyless: ${line}\n`);
    };
    log(
      `token from ${plan.source.description}${plan.source.refreshable ? "" : " (cannot be renewed: credentials last one session)"}`,
    );
    let last: AssumeOutcome | undefined;
    const refresher = new CredentialRefresher(
      async () => {
        last = await runAssume(plan);
        return last.credentials;
      },
      systemClock,
      (c) => log(`credentials for ${last?.identity.arn} valid until ${new Date(c.expiration).toISOString()}`),
      (e) =>
        log(`refresh failed (will retry; the current credentials stay in use while valid): ${e.message}`),
    );
    try {
      await refresher.start();
    } catch (error) {
      return explainFailure(error, plan);
    }
    const endpoint = await startCredentialEndpoint(() => refresher.get());
    warnAboutSharedCredentials(log);
    const env: NodeJS.ProcessEnv = withUserSdkSetting(process.env);
    for (const name of SCRUBBED) delete env[name];
    Object.assign(env, endpoint.env);
    // A region given (flag or variable) is the command's too, under both names (the AWS CLI v1 reads
    // only AWS_DEFAULT_REGION). None given: the command keeps its [default] profile's, else gets STS's.
    const given = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (given || !defaultProfileRegion(defaultProfileTarget()))
      Object.assign(env, { AWS_REGION: plan.target.region, AWS_DEFAULT_REGION: plan.target.region });
    if (plan.target.endpoint && !env.AWS_ENDPOINT_URL_STS) env.AWS_ENDPOINT_URL_STS = plan.target.endpoint;

    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { stdio: "inherit", env });
    const forward = (signal: NodeJS.Signals) => () => {
      // ^C and ^\ in a terminal reach the whole foreground process group, the child included: sent
      // again they would count twice (Terraform takes a second interrupt as "exit now", abandoning its
      // graceful stop and the state lock). Any other signal, or one sent to keyless alone, is relayed.
      if (KEYBOARD.has(signal) && child.pid !== undefined && inTerminalForeground(child.pid)) return;
      child.kill(signal);
    };
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
      (resolve) => {
        child.once("error", (error) => resolve({ code: null, signal: null, error }));
        child.once("exit", (code, signal) => resolve({ code, signal }));
      },
    );
    for (const [signal, handler] of handlers) process.off(signal, handler);
    refresher.stop();
    await endpoint.close();
    if (exit.error) {
      const reason =
        (exit.error as NodeJS.ErrnoException).code === "ENOENT" ? "command not found" : exit.error.message;
      throw new GeneralError("ERR_CHILD_NOT_FOUND", `cannot run ${cmd}: ${reason}`);
    }
    if (exit.signal) {
      // Die the way the child died, so a caller sees the same signal.
      process.kill(process.pid, exit.signal);
      process.exitCode = 128 + (constants.signals[exit.signal] ?? 0);
      return;
    }
    process.exitCode = exit.code ?? EXIT_STATUS.outside;
  });
}

/**
 * A [default] profile that gives credentials, in the shared credentials file or the config file,
 * would win over the endpoint in every SDK's chain: say so, naming the file and the setting.
 */
function warnAboutSharedCredentials(log: (line: string) => void): void {
  const found = defaultProfileCredentialSettings(defaultProfileTarget());
  if (found.length > 0)
    log(
      `warning: the [default] profile gives credentials (${found.join(", ")}); SDKs prefer it to keyless's. Remove those settings, or point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE elsewhere.`,
    );
}
