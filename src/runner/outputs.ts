import { isoSeconds } from "../core/aws/time.js";
import { inputError, peerFailure } from "../lib/errors.js";
import type { AwsCredentials } from "./credentials.js";

/**
 * The forms in which `keyless assume` hands credentials on: each is what a real consumer reads.
 * - env: `export` lines for `eval "$(keyless assume …)"` in POSIX shells;
 * - dotenv: KEY=VALUE lines for $GITHUB_ENV, $ENV0_ENV and docker --env-file (values have no quotes:
 *   those readers take the rest of the line literally, and credentials never contain newlines);
 * - json: the STS shape, `{"Credentials": {...}}`, like `aws sts assume-role… --output json`;
 * - credential-process: the AWS `credential_process` document, Version 1.
 */
export type OutputFormat = "env" | "dotenv" | "json" | "credential-process" | "profile";
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  "env",
  "dotenv",
  "json",
  "credential-process",
  "profile",
];

const iso = isoSeconds;

function variables(credentials: AwsCredentials, region: string | undefined): [string, string][] {
  const vars: [string, string][] = [
    ["AWS_ACCESS_KEY_ID", credentials.accessKeyId],
    ["AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey],
    ["AWS_SESSION_TOKEN", credentials.sessionToken],
    ["AWS_CREDENTIAL_EXPIRATION", iso(credentials.expiration)],
  ];
  if (region) vars.push(["AWS_REGION", region], ["AWS_DEFAULT_REGION", region]);
  return vars;
}

/** Single-quotes a value for POSIX shells (a ' inside becomes '\''). */
export const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function formatEnv(credentials: AwsCredentials, region?: string): string {
  return variables(credentials, region)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join("");
}

export function formatDotenv(credentials: AwsCredentials, region?: string): string {
  return variables(credentials, region)
    .map(([k, v]) => {
      if (/[\r\n]/.test(v)) {
        // The region is the user's (--region); the rest is what STS answered.
        const text = `${k} contains a line break and cannot be written as dotenv`;
        throw k === "AWS_REGION" ? inputError(text) : peerFailure(text);
      }
      return `${k}=${v}\n`;
    })
    .join("");
}

export function formatJson(
  credentials: AwsCredentials,
  identity?: { arn: string; assumedRoleId?: string },
): string {
  const document: Record<string, unknown> = {
    Credentials: {
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      SessionToken: credentials.sessionToken,
      Expiration: iso(credentials.expiration),
    },
  };
  if (identity) document.AssumedRoleUser = { Arn: identity.arn, AssumedRoleId: identity.assumedRoleId };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external.html */
export function formatCredentialProcess(credentials: AwsCredentials): string {
  return `${JSON.stringify({
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: iso(credentials.expiration),
  })}\n`;
}
