import { resolve } from "node:path";
import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import { AdminClient, normalizeServer } from "../admin/client.js";
import { saveCredentials } from "../admin/credentials.js";
import { readCaFile } from "../admin/options.js";

interface LoginFlags {
  server?: string;
  ca?: string;
  withToken?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

export function register(program: Command): void {
  program
    .command("login")
    .description("save an API key for a keyless server (0600 file) so admin commands need no KEYLESS_API_KEY")
    .option("--server <url>", "the keyless server (default: KEYLESS_SERVER)")
    .option("--ca <file>", "extra CA certificate (PEM) to trust for the server; remembered")
    .option("--with-token", "read the API key from stdin (else KEYLESS_API_KEY)")
    .addHelpText(
      "after",
      "\nThe key is checked against the server, then saved in $XDG_CONFIG_HOME/keyless/credentials.json\n(~/.config/keyless/…; KEYLESS_CREDENTIALS_FILE overrides), 0600, with the server as the default.\n\nExamples:\n  keyless login --server https://keyless.example.com --with-token < admin.key\n  KEYLESS_API_KEY=… keyless login --server https://127.0.0.1:8443 --ca ca.pem\n",
    )
    .action(async (flags: LoginFlags) => {
      const raw = flags.server ?? process.env.KEYLESS_SERVER;
      if (!raw) throw inputError("give --server URL (or set KEYLESS_SERVER)");
      const server = normalizeServer(raw);
      const apiKey = flags.withToken ? await readStdin() : process.env.KEYLESS_API_KEY;
      if (!apiKey) throw inputError("no API key: pipe it with --with-token, or set KEYLESS_API_KEY");
      const ca = flags.ca === undefined ? undefined : resolve(flags.ca);
      const client = new AdminClient({ server, apiKey, ca: ca ? [readCaFile(ca)] : [] });
      // Any authenticated read proves the key; organizations is open to every scope.
      const r = await client.call("GET", "/api/v1/organizations");
      const path = saveCredentials(server, { apiKey, ...(ca ? { ca } : {}) });
      const orgs = r.organizations.length;
      process.stderr.write(
        `logged in to ${server} (${orgs} organization${orgs === 1 ? "" : "s"} visible); key saved in ${path} (0600)\n`,
      );
    });
}
