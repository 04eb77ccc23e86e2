import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../lib/clock.js";
import { EXIT_STATUS } from "../../lib/errors.js";
import { startCredentialEndpoint } from "../../runner/credential-endpoint.js";
import type { AssumedIdentity, AwsCredentials } from "../../runner/credentials.js";
import { CredentialRefresher } from "../../runner/refresher.js";
import { describeFailure, exchanger, type Failure, type Obtained } from "./exchange.js";
import { stepIo } from "./files.js";
import { readInputs } from "./inputs.js";

/**
 * The refreshing mode (`refresh-credentials: true`). A step's process ends with the step, so the
 * credential endpoint lives in a detached child process (its own process group, stdio on a 0600 log
 * file in RUNNER_TEMP and not on the step's pipes, which the runner would otherwise wait on). The child
 * does the first exchange, starts `keyless exec`'s loopback endpoint (AWS container-credentials shape,
 * random port, path and bearer token) and refreshes in the background; it tells the step the endpoint
 * over an IPC channel (no secret on disk), and the step exports AWS_CONTAINER_CREDENTIALS_FULL_URI and
 * AWS_CONTAINER_AUTHORIZATION_TOKEN, which every AWS SDK, the AWS CLI and Terraform read
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html). The action's
 * post step stops it; the runner's end-of-job cleanup of orphan processes would too.
 */
export const CHILD_MARKER = "KEYLESS_ACTION_CREDENTIAL_SERVER";

export type ServerMessage =
  | {
      readonly ok: true;
      readonly url: string;
      readonly authorization: string;
      readonly credentials: AwsCredentials;
      readonly hops: readonly AssumedIdentity[];
    }
  | { readonly ok: false; readonly failure: Failure };

export interface StartedServer {
  readonly message: ServerMessage;
  readonly pid: number | undefined;
  readonly logFile: string;
}

/** In the step: starts the detached child and waits for its first answer (or its exit). */
export async function startCredentialServer(entry: string, env: NodeJS.ProcessEnv): Promise<StartedServer> {
  const logFile = join(
    env.RUNNER_TEMP || tmpdir(),
    `keyless-credentials-${randomBytes(6).toString("hex")}.log`,
  );
  const fd = openSync(logFile, "a", 0o600);
  const child = spawn(process.execPath, [entry], {
    detached: true,
    stdio: ["ignore", fd, fd, "ipc"],
    env: { ...env, [CHILD_MARKER]: "1" },
  });
  closeSync(fd);
  const message = await new Promise<ServerMessage>((resolve) => {
    child.once("message", (m) => resolve(m as ServerMessage));
    child.once("error", (e) =>
      resolve({
        ok: false,
        failure: { message: `cannot start the credential server: ${e.message}`, status: EXIT_STATUS.outside },
      }),
    );
    child.once("exit", (code, signal) =>
      resolve({
        ok: false,
        failure: {
          message: `the credential server exited (${signal ?? `code ${code}`}) before serving; its log: ${logFile}`,
          status: EXIT_STATUS.outside,
        },
      }),
    );
  });
  if (child.connected) child.disconnect();
  child.unref();
  return { message, pid: message.ok ? child.pid : undefined, logFile };
}

/** In the detached child: the first exchange, the endpoint, then refreshing until SIGTERM. */
export async function serveCredentials(env: NodeJS.ProcessEnv): Promise<void> {
  const send = (message: ServerMessage) =>
    new Promise<void>((resolve) => {
      if (!process.send || !process.connected) return resolve();
      process.send(message, () => resolve());
    });
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} keyless: ${line}\n`);
  const io = stepIo(env, () => {});
  let plan: ReturnType<typeof exchanger>["plan"];
  try {
    const inputs = readInputs(io);
    const exchange = exchanger(inputs, env);
    plan = exchange.plan;
    let last: Obtained | undefined;
    const refresher = new CredentialRefresher(
      async () => {
        last = await exchange.obtain();
        return last.credentials;
      },
      systemClock,
      (c) =>
        log(`credentials for ${last?.hops.at(-1)?.arn} valid until ${new Date(c.expiration).toISOString()}`),
      (e) =>
        log(`refresh failed (will retry; the current credentials stay in use while valid): ${e.message}`),
    );
    await refresher.start();
    const endpoint = await startCredentialEndpoint(() => refresher.get());
    const stop = () => {
      refresher.stop();
      void endpoint.close().finally(() => process.exit(0));
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    // The step disconnects once it has the endpoint; the child goes on serving.
    process.on("disconnect", () =>
      log(`serving ${endpoint.url.replace(/\/credentials\/.*/, "/credentials/…")}`),
    );
    await send({
      ok: true,
      url: endpoint.url,
      authorization: endpoint.authorization,
      credentials: last!.credentials,
      hops: last!.hops,
    });
  } catch (error) {
    const failure = await describeFailure(error, plan);
    log(failure.message);
    await send({ ok: false, failure });
    process.exit(failure.status);
  }
}
