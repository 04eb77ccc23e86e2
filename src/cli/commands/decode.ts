import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { fileErrorFrom, inputError } from "../../lib/errors.js";
import { relativeTime } from "../../lib/words.js";

/** Shows a token's header and claims, with its times in words. It does not verify the signature. */
export function register(program: Command): void {
  program
    .command("decode <token-or-file>")
    .description("pretty-print a JWT's header and claims, with expiry in words (no signature check)")
    .option("--json", "print {header, claims} as JSON only")
    .addHelpText(
      "after",
      '\nExamples:\n  keyless decode "$TOKEN"\n  keyless decode /tmp/web-identity-token\n',
    )
    .action((input: string, flags: { json?: boolean }) => {
      let raw: string;
      try {
        raw = (
          input === "-" ? readFileSync(0, "utf8") : existsSync(input) ? readFileSync(input, "utf8") : input
        ).trim();
      } catch (error) {
        throw fileErrorFrom(
          error,
          "cannot read token file",
          input,
          "name a file holding a JWT, or give the JWT",
        );
      }
      let header: Record<string, unknown>;
      let claims: Record<string, unknown>;
      try {
        header = decodeProtectedHeader(raw) as Record<string, unknown>;
        claims = decodeJwt(raw) as Record<string, unknown>;
      } catch {
        throw inputError(
          `not a JWT (and not a readable file): ${input.length > 40 ? `${input.slice(0, 40)}…` : input}`,
        );
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ header, claims }, null, 2)}\n`);
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const when = (name: string) => {
        const v = claims[name];
        if (typeof v !== "number") return undefined;
        return `${new Date(v * 1000).toISOString()} (${relativeTime(v - now)})`;
      };
      const lines = [
        `header: ${JSON.stringify(header, null, 2)}`,
        `claims: ${JSON.stringify(claims, null, 2)}`,
      ];
      if (typeof claims.exp === "number") {
        lines.push(claims.exp > now ? `expires ${when("exp")}` : `EXPIRED ${when("exp")}`);
      }
      if (typeof claims.iat === "number") lines.push(`issued ${when("iat")}`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
