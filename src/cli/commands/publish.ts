import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { openIssuer } from "../../server/serve.js";
import { addStoreOptions, configFrom } from "./serve.js";

/**
 * The static verification material for S3/CDN hosting: `<out>/<issuer path>/.well-known/openid-configuration`
 * and the JWKS at the path its `jwks_uri` names. Re-run after every rotation (and on a schedule): the new
 * key must reach the public copy before the overlap ends.
 */
export function register(program: Command): void {
  addStoreOptions(
    program
      .command("publish")
      .description("write the discovery document and JWKS as static files for S3/CDN hosting")
      .requiredOption("--out <dir>", "directory to write into")
      .option("--issuer-url <url>", "issuer whose documents to write (default: the configured issuer URL)"),
  )
    .addHelpText(
      "after",
      "\nExample:\n  keyless publish --out site --issuer-url https://id.example.com && aws s3 sync site s3://id-example-com\n",
    )
    .action(
      async (flags: {
        out: string;
        issuerUrl?: string;
        config?: string;
        dataDir?: string;
        database?: string;
      }) => {
        const config = configFrom(flags, process.env);
        const issuer = await openIssuer(config);
        try {
          const issuers = await issuer.service.signingKeys.issuers();
          const chosen = issuers.find((i) => i.issuer === config.issuerUrl) ?? issuers[0]!;
          const discovery = issuer.service.signingKeys.discovery(chosen.issuer, chosen.jwksPath);
          const jwks = await issuer.service.signingKeys.jwks();
          const base = new URL(chosen.issuer).pathname.replace(/\/$/, "");
          const write = (rel: string, doc: unknown) => {
            const file = join(flags.out, ...`${base}${rel}`.split("/").filter(Boolean));
            mkdirSync(join(file, ".."), { recursive: true });
            writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
            process.stdout.write(`${file}\n`);
          };
          write("/.well-known/openid-configuration", discovery);
          write(chosen.jwksPath, jwks);
        } finally {
          await issuer.close();
        }
      },
    );
}
