import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { errorKind } from "../lib/errors.js";
import type { AwsCredentials } from "./credentials.js";

/**
 * Writes credentials as a named profile into the AWS shared credentials file (and the region into the
 * config file), keeping every other profile as it was. The files hold secrets: they are written 0600,
 * through a temporary file renamed into place, and never through a symlink (a link planted at
 * ~/.aws/credentials could otherwise redirect secrets anywhere).
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

export class ProfileWriteError extends errorKind("ERR_PROFILE_WRITE", "input") {}

const PROFILE_NAME = /^[A-Za-z0-9_.+@-]+$/;

export function writeProfile(
  target: ProfileTarget,
  profile: string,
  credentials: AwsCredentials,
  region?: string,
): void {
  if (!PROFILE_NAME.test(profile))
    throw new ProfileWriteError(`profile name "${profile}" may hold only letters, digits and _.+@-`);
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
  refuseSymlink(path);
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

function refuseSymlink(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink())
      throw new ProfileWriteError(`${path} is a symbolic link; refusing to write credentials through it`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Writes a file owner-only, atomically: a new 0600 file (O_EXCL, O_NOFOLLOW) renamed over the old. */
export function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  refuseSymlink(path);
  const temporary = `${path}.keyless-${process.pid}-${Date.now()}`;
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0)
      throw new ProfileWriteError(`${temporary} was not created owner-only`);
    writeSync(fd, content);
    fsyncSync(fd);
    closeSync(fd);
    // Renaming over a directory (EISDIR) or across devices fails: the temporary copy must not stay behind.
    renameSync(temporary, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {}
    unlinkSync(temporary);
    throw error;
  }
}
