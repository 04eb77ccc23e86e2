import { seg } from "./client.js";
import { type AdminFlags, clientFor, output, table } from "./options.js";

/**
 * `keyless keys list|rotate|retire --server URL`: the same operations through a running server's admin
 * API (`/api/v1/signing-keys`, admin key), for operators without access to its data directory or
 * database. Times are ISO 8601 strings, as the API gives them.
 */

// biome-ignore lint/suspicious/noExplicitAny: the admin API's signing key JSON.
type Key = any;

export async function list(flags: AdminFlags, json: boolean): Promise<void> {
  const r = await clientFor(flags).call("GET", "/api/v1/signing-keys");
  output({ ...flags, json }, r.signingKeys, () =>
    table(
      ["kid", "alg", "state", "signs from", "unpublished at"],
      r.signingKeys.map((k: Key) => [k.kid, k.alg, k.state, k.activateAt, k.unpublishAt]),
    ),
  );
}

export async function rotate(flags: AdminFlags, immediate: boolean, alg: string | undefined): Promise<void> {
  const k = await clientFor(flags).call("POST", "/api/v1/signing-keys/rotate", {
    immediate,
    ...(alg ? { algorithm: alg } : {}),
  });
  process.stdout.write(`${k.kid} ${k.alg} published now, signs from ${k.activateAt}\n`);
}

export async function retire(flags: AdminFlags, kid: string): Promise<void> {
  await clientFor(flags).call("POST", `/api/v1/signing-keys/${seg(kid)}/retire`);
  process.stdout.write(`${kid} retiring: never signs again; published until its last token has expired\n`);
}
