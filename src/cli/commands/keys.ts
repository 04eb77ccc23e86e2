import type { Command } from "commander";
import { OPERATOR } from "../../issuer/authz.js";
import { kmsKeyArn } from "../../issuer/signing-keys.js";
import { inputError } from "../../lib/errors.js";
import { openIssuer } from "../../server/serve.js";
import * as remoteKeys from "../admin/signing-keys.js";
import { addStoreOptions, configFrom } from "./serve.js";

interface StoreFlags {
  server?: string;
  ca?: string;
  config?: string;
  dataDir?: string;
  database?: string;
  json?: boolean;
  keyOverlap?: string;
}

/** With `--server`, through the admin API of a running server (an admin key); else on the store itself. */
const remote = (c: Command) =>
  c
    .option(
      "--server <url>",
      "work through this server's admin API instead (admin key: KEYLESS_API_KEY or keyless login)",
    )
    .option("--ca <file>", "with --server: extra CA certificate (PEM) to trust");

async function withIssuer<T>(
  flags: StoreFlags,
  fn: (svc: Awaited<ReturnType<typeof openIssuer>>["service"]["signingKeys"]) => Promise<T>,
) {
  const config = configFrom(flags, process.env);
  const issuer = await openIssuer(config);
  try {
    return await fn(issuer.service.signingKeys);
  } finally {
    await issuer.close();
  }
}

const iso = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z"));

export function register(program: Command): void {
  const keys = program
    .command("keys")
    .description("list, rotate and retire the issuer's signing keys (works on the data directory / database)")
    .addHelpText(
      "after",
      "\nExamples:\n  keyless keys list --data-dir /var/lib/keyless\n  keyless keys rotate            (the new key signs after the overlap)\n  keyless keys retire -- <kid>   (-- because a kid may begin with '-')\n",
    );

  addStoreOptions(
    remote(
      keys
        .command("list")
        .description("every key with its state: pending, active, superseded, retiring, retired"),
    ),
  )
    .option("--json", "machine-readable output")
    .action((flags: StoreFlags) => {
      if (flags.server !== undefined) return remoteKeys.list(flags, flags.json === true);
      return withIssuer(flags, async (svc) => {
        const statuses = await svc.keyStatuses(OPERATOR);
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify(
              statuses.map((s) => ({
                kid: s.key.kid,
                alg: s.key.alg,
                state: s.state,
                createdAt: s.key.createdAt,
                activateAt: s.key.activateAt,
                supersededAt: s.supersededAt,
                retiredAt: s.key.retiredAt,
                unpublishAt: s.unpublishAt,
                kmsKeyArn: kmsKeyArn(s.key) ?? null,
              })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        process.stdout.write(
          "KID                                          ALG    STATE     SIGNS FROM            UNPUBLISHED AT\n",
        );
        for (const s of statuses) {
          process.stdout.write(
            `${s.key.kid.padEnd(44)} ${s.key.alg.padEnd(6)} ${s.state.padEnd(9)} ${iso(s.key.activateAt).padEnd(21)} ${iso(s.unpublishAt)}\n`,
          );
        }
      });
    });

  addStoreOptions(
    remote(
      keys
        .command("rotate")
        .description(
          "create the next key: published now, signing after the overlap (longer than AWS's JWKS cache)",
        ),
    ),
  )
    .option(
      "--immediate",
      "emergency: sign with the new key at once (verifiers with a cached JWKS will refuse until they refresh)",
    )
    .option("--alg <alg>", "RS256 or ES256 (default: the configured algorithm)")
    .option("--key-overlap <duration>", "override the overlap, e.g. 24h (KEYLESS_KEY_OVERLAP)")
    .action((flags: StoreFlags & { immediate?: boolean; alg?: string }) => {
      if (flags.alg && flags.alg !== "RS256" && flags.alg !== "ES256")
        throw inputError("--alg must be RS256 or ES256");
      if (flags.server !== undefined) return remoteKeys.rotate(flags, flags.immediate === true, flags.alg);
      return withIssuer(flags, async (svc) => {
        const k = await svc.rotate(OPERATOR, {
          immediate: flags.immediate ?? false,
          ...(flags.alg ? { algorithm: flags.alg as "RS256" | "ES256" } : {}),
        });
        process.stdout.write(`${k.kid} ${k.alg} published now, signs from ${iso(k.activateAt)}\n`);
      });
    });

  addStoreOptions(
    remote(
      keys
        .command("retire <kid>")
        .description(
          "retire a pending or superseded key for good (the signing key is refused: rotate first); it stays published until its last token expires",
        )
        // A kid is an RFC 7638 thumbprint in base64url, so one in 64 starts with "-": taken as the operand
        // rather than refused as an unknown option (`-- KID` works too). A "--word" is still a mistyped flag.
        .allowUnknownOption(),
    ),
  ).action((kid: string, flags: StoreFlags) => {
    if (kid.startsWith("--")) throw inputError(`unknown option '${kid}' (run keyless keys retire --help)`);
    if (flags.server !== undefined) return remoteKeys.retire(flags, kid);
    return withIssuer(flags, async (svc) => {
      await svc.retire(OPERATOR, kid);
      process.stdout.write(
        `${kid} retiring: never signs again; published until its last token has expired\n`,
      );
    });
  });
}
