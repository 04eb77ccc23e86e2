import { mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { withFileLock } from "../lib/file-lock.js";
import { refuseUnfit, SecretFileError, writeSecretFile } from "../lib/secret-file.js";
import type { AwsCredentials } from "./credentials.js";

/**
 * Writes credentials as a named profile into the AWS shared credentials file (and the region into the
 * config file), keeping every other profile as it was. The files hold secrets: they are written 0600,
 * through a temporary file renamed into place, and never through a symlink (a link planted at
 * ~/.aws/credentials could otherwise redirect secrets anywhere); concurrent writers take turns.
 */
export interface ProfileTarget {
  readonly credentialsFile: string;
  readonly configFile: string;
}

export function defaultProfileTarget(env: NodeJS.ProcessEnv = process.env): ProfileTarget {
  const home = env.HOME ?? homedir();
  return {
    credentialsFile: env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, ".aws", "credentials"),
    configFile: env.AWS_CONFIG_FILE ?? join(home, ".aws", "config"),
  };
}

const PROFILE_NAME = /^[A-Za-z0-9_.+@-]+$/;

export function writeProfile(
  target: ProfileTarget,
  profile: string,
  credentials: AwsCredentials,
  region?: string,
): void {
  if (!PROFILE_NAME.test(profile))
    throw new SecretFileError(`profile name "${profile}" may hold only letters, digits and _.+@-`);
  updateIni(target.credentialsFile, profile, {
    aws_access_key_id: credentials.accessKeyId,
    aws_secret_access_key: credentials.secretAccessKey,
    aws_session_token: credentials.sessionToken,
  });
  if (region)
    updateIni(target.configFile, profile === "default" ? "default" : `profile ${profile}`, { region });
}

/** Replaces one section of an INI file (or appends it), leaving the rest byte for byte. */
export function updateIni(path: string, section: string, values: Record<string, string>): void {
  refuseUnfit(path);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Another job on the same machine may be writing its own profile into the same file right now.
  withFileLock(path, () => replaceSection(path, section, values));
}

function replaceSection(path: string, section: string, values: Record<string, string>): void {
  const existing = readIfExists(path);
  const lines = existing === undefined ? [] : existing.split(/\r?\n/);
  const header = `[${section}]`;
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith("[") && trimmed.endsWith("]")) skipping = trimmed.replace(/\s+/g, " ") === header;
    if (!skipping) out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  if (out.length > 0) out.push("");
  out.push(header, ...Object.entries(values).map(([k, v]) => `${k} = ${v}`), "");
  writeSecretFile(path, out.join("\n"));
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The settings of a `[default]` profile that give credentials (static keys, a credential process, a
 * role, a web-identity token file, SSO), as "file: setting" for each found. The SDKs' default chains
 * read that profile before the container-credentials endpoint `keyless exec` gives its command
 * (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html), so any of these wins
 * over keyless's credentials. A file that cannot be read holds none.
 */
export function defaultProfileCredentialSettings(target: ProfileTarget): string[] {
  return [target.credentialsFile, target.configFile].flatMap((file) =>
    [...defaultSection(file).keys()]
      .filter((key) => CREDENTIAL_SETTINGS.has(key))
      .map((key) => `${file}: ${key}`),
  );
}

/** The `region` of the `[default]` profile in the config file, if it sets one. */
export function defaultProfileRegion(target: ProfileTarget): string | undefined {
  return defaultSection(target.configFile).get("region") || undefined;
}

/**
 * The `[default]` section of a shared file as setting → value (names in lower case); empty when the
 * file cannot be read. In both files the section is `[default]` (a named profile in the config file
 * is `[profile NAME]`).
 */
function defaultSection(file: string): Map<string, string> {
  const settings = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return settings;
  }
  let inDefault = false;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.startsWith("[") && trimmed.endsWith("]"))
      inDefault = trimmed.slice(1, -1).trim() === "default";
    else if (inDefault && trimmed.includes("=")) {
      const at = trimmed.indexOf("=");
      settings.set(trimmed.slice(0, at).trim().toLowerCase(), trimmed.slice(at + 1).trim());
    }
  }
  return settings;
}

/** Settings of a profile that make it a credential source, in the SDKs' shared-config names. */
const CREDENTIAL_SETTINGS: ReadonlySet<string> = new Set([
  "aws_access_key_id",
  "credential_process",
  "role_arn",
  "web_identity_token_file",
  "sso_session",
  "sso_start_url",
  "login_session",
]);
