import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { httpGet } from "../../lib/http-get.js";
import { CliError, EXIT } from "../errors.js";

/**
 * The job side of the token endpoint, as simple as it gets: the run's request URL and token come from
 * `KEYLESS_ID_TOKEN_REQUEST_URL` / `KEYLESS_ID_TOKEN_REQUEST_TOKEN`; the token goes to stdout or a 0600
 * file (for `AWS_WEB_IDENTITY_TOKEN_FILE`). The runner component extends this to every platform.
 */
export function register(program: Command): void {
  program
    .command("token")
    .description("get an ID token for this run from the keyless issuer")
    .option("--audience <aud>", "audience (default: the organization's)")
    .option("--lifetime <seconds>", "token lifetime in seconds (capped by the organization)")
    .option("--out <file>", "write the token to this file (mode 0600) instead of printing it")
    .option("--ca <file>", "extra CA certificate (PEM) to trust for the issuer")
    .addHelpText(
      "after",
      '\nExample:\n  keyless token --audience sts.amazonaws.com --out "$RUNNER_TEMP/token"\n  export AWS_WEB_IDENTITY_TOKEN_FILE="$RUNNER_TEMP/token"\n',
    )
    .action(async (flags: { audience?: string; lifetime?: string; out?: string; ca?: string }) => {
      const url = process.env.KEYLESS_ID_TOKEN_REQUEST_URL;
      const secret = process.env.KEYLESS_ID_TOKEN_REQUEST_TOKEN;
      if (!url || !secret) {
        throw new CliError(
          "KEYLESS_ID_TOKEN_REQUEST_URL and KEYLESS_ID_TOKEN_REQUEST_TOKEN must be set (the run's request URL and token)",
        );
      }
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new CliError(`KEYLESS_ID_TOKEN_REQUEST_URL is not a URL: ${url}`);
      }
      if (flags.audience) target.searchParams.set("audience", flags.audience);
      if (flags.lifetime) {
        if (!/^\d+$/.test(flags.lifetime)) throw new CliError("--lifetime must be a number of seconds");
        target.searchParams.set("lifetime", flags.lifetime);
      }
      let ca: Buffer | undefined;
      if (flags.ca) {
        try {
          ca = readFileSync(flags.ca);
        } catch (e) {
          throw new CliError(`cannot read --ca ${flags.ca}: ${(e as Error).message}`);
        }
      }
      const res = await httpGet(target.toString(), {
        headers: { authorization: `Bearer ${secret}`, accept: "application/json" },
        ...(ca ? { ca } : {}),
      }).catch((e: Error) => {
        throw new CliError(`cannot reach the issuer: ${e.message}`, EXIT.failure);
      });
      let body: { value?: unknown; detail?: unknown } = {};
      try {
        body = JSON.parse(res.body);
      } catch {
        // reported below
      }
      if (res.status !== 200 || typeof body.value !== "string") {
        const why = typeof body.detail === "string" ? body.detail : `HTTP ${res.status}`;
        throw new CliError(`the issuer refused: ${why}`, res.status >= 500 ? EXIT.failure : EXIT.usage);
      }
      if (flags.out) {
        writeFileSync(flags.out, body.value, { mode: 0o600 });
        chmodSync(flags.out, 0o600);
      } else {
        process.stdout.write(`${body.value}\n`);
      }
    });
}
