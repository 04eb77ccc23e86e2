import type { Command } from "commander";
import { normalizeServer } from "../admin/client.js";
import { credentialsPath, removeCredentials } from "../admin/credentials.js";

export function register(program: Command): void {
  program
    .command("logout")
    .description("forget the API key keyless login saved (for --server, else for every server)")
    .option("--server <url>", "forget only this server's key")
    .action((flags: { server?: string }) => {
      const server = flags.server === undefined ? undefined : normalizeServer(flags.server);
      const removed = removeCredentials(server);
      process.stderr.write(
        removed ? `forgot ${server ?? "every server"} (${credentialsPath()})\n` : "nothing saved to forget\n",
      );
    });
}
