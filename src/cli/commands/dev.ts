import type { Command } from "commander";
import { startDev } from "../../dev/start.js";
import { walkthrough } from "../../dev/walkthrough.js";
import { inputError } from "../../lib/errors.js";

interface Flags {
  dataDir: string;
  issuerPort: string;
  awsPort: string;
  host: string;
  testMaxSessionSeconds?: string;
}

const port = (value: string, flag: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw inputError(`${flag} ${value}: expected a port from 1 to 65535`);
  return n;
};

export function register(program: Command): void {
  program
    .command("dev")
    .summary("start the issuer and the AWS emulator on loopback with a demo, and print a walkthrough")
    .description(
      "The whole chain on this machine: the keyless issuer over HTTPS (with a local CA it creates), the AWS\n" +
        "IAM + STS emulator, the embedded SQLite store, and a demo (organization, project, staging and\n" +
        "production environments, a tooling and a workload account, roles with least-privilege trust).\n" +
        "Writes <data-dir>/dev.json for scripts. Ctrl-C stops it; the next start finds the same state.",
    )
    .option("--data-dir <dir>", "where state, the CA and dev.json live", ".keyless/dev")
    .option("--issuer-port <port>", "issuer HTTPS port", "8443")
    .option("--aws-port <port>", "AWS emulator port", "4566")
    .option("--host <address>", "address to listen on (loopback unless you say otherwise)", "127.0.0.1")
    .option("--test-max-session-seconds <n>", "TEST SETTING: emulator sessions end after at most N seconds")
    .addHelpText(
      "after",
      "\nExample:\n  npm start            (runs keyless dev)\n  keyless dev --issuer-port 9443 --aws-port 5566\n",
    )
    .action(async (flags: Flags) => {
      let testMaxSessionSeconds: number | undefined;
      if (flags.testMaxSessionSeconds !== undefined) {
        testMaxSessionSeconds = Number(flags.testMaxSessionSeconds);
        if (!Number.isInteger(testMaxSessionSeconds) || testMaxSessionSeconds < 1) {
          throw inputError(
            `--test-max-session-seconds ${flags.testMaxSessionSeconds}: expected a positive integer`,
          );
        }
      }
      const dev = await startDev({
        dataDir: flags.dataDir,
        host: flags.host,
        issuerPort: port(flags.issuerPort, "--issuer-port"),
        awsPort: port(flags.awsPort, "--aws-port"),
        ...(testMaxSessionSeconds !== undefined ? { testMaxSessionSeconds } : {}),
      });
      // Before the walkthrough, whose second half is a script to paste as it stands.
      process.stdout.write(
        `The web console: ${dev.info.issuerUrl}/console/\nSign in with this one-time link (valid 5 minutes, once): ${await dev.consoleSignInLink()}\n\n`,
      );
      process.stdout.write(walkthrough(dev.info));
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      process.stdout.write("\nkeyless dev: stopping\n");
      await dev.close();
    });
}
