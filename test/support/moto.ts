import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as pause } from "node:timers/promises";
import { freePort } from "./ports.js";

/** A `moto_server` (all of moto's AWS services on one endpoint) on a free loopback port. */
export interface MotoServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** AWS SDK / CLI environment pointing at it: test credentials, us-east-1 (`AWS_REGION` and the AWS CLI v1's `AWS_DEFAULT_REGION`), `AWS_ENDPOINT_URL_<SERVICE>`. */
  env(service: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * Starts `moto_server` and waits until it answers (by attempts, not by time: up to `attempts` polls
 * of `/moto-api/`, which moto_server serves). Throws when it never answers.
 */
export async function startMoto(attempts = 150): Promise<MotoServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  for (let i = 0; ; i++) {
    const up = await fetch(`${url}/moto-api/`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (up) break;
    if (i >= attempts || child.exitCode !== null) {
      await stop();
      throw new Error(`moto_server did not answer on ${url}`);
    }
    await pause(200);
  }
  return {
    url,
    env: (service) => ({
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      [`AWS_ENDPOINT_URL_${service.toUpperCase()}`]: url,
    }),
    stop,
  };
}
