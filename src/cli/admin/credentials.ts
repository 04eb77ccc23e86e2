import { readFileSync, statSync, unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileErrorFrom, inputError } from "../../lib/errors.js";
import { writeSecretFile } from "../../lib/secret-file.js";

/**
 * The login file `keyless login` writes: per server, the API key (and a CA file to trust), plus the
 * server used when neither `--server` nor `KEYLESS_SERVER` names one. JSON, 0600, written atomically
 * through `writeSecretFile`; a copy others can read is refused, as ssh refuses such a private key.
 */
export interface SavedCredentials {
  readonly default?: string;
  readonly servers: Readonly<Record<string, { readonly apiKey: string; readonly ca?: string }>>;
}

/** `KEYLESS_CREDENTIALS_FILE`, else `$XDG_CONFIG_HOME/keyless/credentials.json` (`~/.config/…`). */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KEYLESS_CREDENTIALS_FILE) return env.KEYLESS_CREDENTIALS_FILE;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "keyless", "credentials.json");
}

/** The saved credentials, or undefined when there is no login file. */
export function readCredentials(env: NodeJS.ProcessEnv = process.env): SavedCredentials | undefined {
  const path = credentialsPath(env);
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw inputError(`${path} is readable by others: chmod 600 it, or run keyless login again`);
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fileErrorFrom(error, "login file", path, "run keyless login again");
  }
  try {
    const parsed = JSON.parse(text) as SavedCredentials;
    if (typeof parsed.servers !== "object" || parsed.servers === null) throw new Error("no servers");
    return parsed;
  } catch {
    throw inputError(`${path} is not a keyless login file: delete it and run keyless login again`);
  }
}

/** Saves `apiKey` for `server` and makes it the default server. */
export function saveCredentials(
  server: string,
  entry: { apiKey: string; ca?: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  const path = credentialsPath(env);
  const old = readCredentials(env);
  const next: SavedCredentials = { default: server, servers: { ...old?.servers, [server]: entry } };
  try {
    writeSecretFile(path, `${JSON.stringify(next, null, 2)}\n`);
  } catch (error) {
    throw fileErrorFrom(error, "login file", path, "set KEYLESS_CREDENTIALS_FILE to a writable path");
  }
  return path;
}

/** Forgets `server` (every server when undefined); true when something was removed. */
export function removeCredentials(server: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = credentialsPath(env);
  const old = readCredentials(env);
  if (!old) return false;
  if (server === undefined || Object.keys(old.servers).every((s) => s === server)) {
    unlinkSync(path);
    return true;
  }
  if (!old.servers[server]) return false;
  const servers = Object.fromEntries(Object.entries(old.servers).filter(([s]) => s !== server));
  const next: SavedCredentials = {
    ...(old.default && old.default !== server ? { default: old.default } : {}),
    servers,
  };
  writeSecretFile(path, `${JSON.stringify(next, null, 2)}\n`);
  return true;
}
