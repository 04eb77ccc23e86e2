import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_OVERLAP_MS, DEFAULT_ROTATION_INTERVAL_MS, MIN_OVERLAP_MS } from "../issuer/key-lifecycle.js";
import { errorKind, fileErrorFrom } from "../lib/errors.js";
import { parseJson } from "../lib/json.js";
import { parseDatabaseUrl } from "../store/database.js";
import { DEFAULT_RATE_LIMITS, type RateLimits } from "./rate-limits.js";

/**
 * `keyless serve` configuration: flags over `KEYLESS_*` environment variables over a JSON file
 * (`--config FILE`) over defaults. Every variable is documented in docs/issuer.md.
 */
export class ConfigError extends errorKind("ERR_CONFIG", "input") {}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  /** `iss` of the server's own tokens; must be https:// for AWS. */
  readonly issuerUrl: string;
  /** Where jobs reach this server (base of request URLs). */
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly database: string;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly kek: string | undefined;
  readonly signingAlgorithm: "RS256" | "ES256";
  /** Where new signing keys are made: `local` (sealed under the KEK) or `aws-kms` (issuer/aws-kms.ts). */
  readonly signer: "local" | "aws-kms";
  /** With `aws-kms`: the KMS keys rotation takes in order (ids, ARNs, aliases); undefined = CreateKey. */
  readonly kmsKeyIds: readonly string[] | undefined;
  readonly keyOverlapSeconds: number;
  readonly keyRotationIntervalSeconds: number;
  readonly maxTokenLifetimeSeconds: number;
  readonly wellKnownMaxAgeSeconds: number;
  readonly logLevel: string;
  readonly workers: number;
  /** Request budgets per worker (server/rate-limits.ts); 0 = no limit. */
  readonly rateLimits: RateLimits;
  /** How long a web console session lasts, in seconds (default 8 hours). */
  readonly consoleSessionSeconds?: number;
}

/** `90`, `90s`, `15m`, `24h`, `30d` → seconds. */
export function parseDuration(value: string | number, what: string): number {
  if (typeof value === "number") return value;
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) throw new ConfigError(`${what}: "${value}" is not a duration (e.g. 900, 15m, 24h, 30d)`);
  return (
    Number(m[1]) * ({ "": 1, s: 1, m: 60, h: 3600, d: 86400 } as const)[m[2] as "" | "s" | "m" | "h" | "d"]
  );
}

const FileSchema = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().optional(),
  issuerUrl: z.string().optional(),
  publicUrl: z.string().optional(),
  dataDir: z.string().optional(),
  database: z.string().optional(),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  signingAlgorithm: z.enum(["RS256", "ES256"]).optional(),
  signer: z.enum(["local", "aws-kms"]).optional(),
  kmsKeyIds: z.string().optional(),
  keyOverlap: z.union([z.string(), z.number()]).optional(),
  keyRotationInterval: z.union([z.string(), z.number()]).optional(),
  maxTokenLifetime: z.union([z.string(), z.number()]).optional(),
  wellKnownMaxAge: z.union([z.string(), z.number()]).optional(),
  logLevel: z.string().optional(),
  workers: z.number().int().optional(),
  rateLimitWindow: z.union([z.string(), z.number()]).optional(),
  consoleSession: z.union([z.string(), z.number()]).optional(),
  tokenRateLimitPerRun: z.number().int().optional(),
  tokenRateLimitPerAddress: z.number().int().optional(),
  adminRateLimitPerKey: z.number().int().optional(),
});
export type ConfigFile = z.infer<typeof FileSchema>;

/** The environment variables, by config key. The KEK is only ever read from the environment or its file. */
export const ENV: Record<Exclude<keyof ConfigFile, never> | "kek", string> = {
  host: "KEYLESS_HOST",
  port: "KEYLESS_PORT",
  issuerUrl: "KEYLESS_ISSUER_URL",
  publicUrl: "KEYLESS_PUBLIC_URL",
  dataDir: "KEYLESS_DATA_DIR",
  database: "KEYLESS_DATABASE",
  tlsCert: "KEYLESS_TLS_CERT",
  tlsKey: "KEYLESS_TLS_KEY",
  kek: "KEYLESS_KEK",
  signingAlgorithm: "KEYLESS_SIGNING_ALG",
  signer: "KEYLESS_SIGNER",
  kmsKeyIds: "KEYLESS_KMS_KEY_IDS",
  keyOverlap: "KEYLESS_KEY_OVERLAP",
  keyRotationInterval: "KEYLESS_KEY_ROTATION_INTERVAL",
  maxTokenLifetime: "KEYLESS_MAX_TOKEN_LIFETIME",
  wellKnownMaxAge: "KEYLESS_WELL_KNOWN_MAX_AGE",
  logLevel: "KEYLESS_LOG_LEVEL",
  workers: "KEYLESS_WORKERS",
  rateLimitWindow: "KEYLESS_RATE_LIMIT_WINDOW",
  consoleSession: "KEYLESS_CONSOLE_SESSION",
  tokenRateLimitPerRun: "KEYLESS_TOKEN_RATE_LIMIT_PER_RUN",
  tokenRateLimitPerAddress: "KEYLESS_TOKEN_RATE_LIMIT_PER_ADDRESS",
  adminRateLimitPerKey: "KEYLESS_ADMIN_RATE_LIMIT_PER_KEY",
};

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return env.KEYLESS_DATA_DIR ?? join(env.HOME ?? homedir(), ".keyless");
}

export function loadServeConfig(options: {
  flags: Partial<Record<keyof ConfigFile, string | number | undefined>> & { config?: string | undefined };
  env: NodeJS.ProcessEnv;
}): ServeConfig {
  let file: ConfigFile = {};
  if (options.flags.config) {
    let raw: unknown;
    try {
      raw = parseJson(readFileSync(options.flags.config, "utf8"));
    } catch (e) {
      throw new ConfigError(`cannot read config file ${options.flags.config}: ${(e as Error).message}`);
    }
    const r = FileSchema.safeParse(raw);
    if (!r.success) {
      throw new ConfigError(
        `config file ${options.flags.config}: ${r.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`,
      );
    }
    file = r.data;
  }
  const pick = (key: keyof ConfigFile): string | number | undefined => {
    const flag = options.flags[key];
    if (flag !== undefined) return flag;
    const env = options.env[ENV[key]];
    if (env !== undefined && env !== "") return env;
    return file[key];
  };
  const str = (key: keyof ConfigFile) => {
    const v = pick(key);
    return v === undefined ? undefined : String(v);
  };
  const int = (key: keyof ConfigFile, fallback: number) => {
    const v = pick(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${key} must be a whole number, got "${v}"`);
    return n;
  };
  const duration = (key: keyof ConfigFile, fallback: number) => {
    const v = pick(key);
    return v === undefined ? fallback : parseDuration(v, key);
  };

  const tlsCert = str("tlsCert");
  const tlsKey = str("tlsKey");
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw new ConfigError("--tls-cert and --tls-key go together");
  for (const [flag, file] of [
    ["--tls-cert", tlsCert],
    ["--tls-key", tlsKey],
  ] as const) {
    try {
      if (file !== undefined) accessSync(file, constants.R_OK);
    } catch (error) {
      throw fileErrorFrom(error, flag, file!, "give a readable PEM file");
    }
  }
  const host = str("host") ?? "127.0.0.1";
  const port = int("port", tlsCert ? 8443 : 8080);
  const scheme = tlsCert ? "https" : "http";
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const own = `${scheme}://${urlHost === "0.0.0.0" ? "127.0.0.1" : urlHost}:${port}`;
  const dataDir = str("dataDir") ?? defaultDataDir(options.env);
  const alg = str("signingAlgorithm") ?? "RS256";
  if (alg !== "RS256" && alg !== "ES256")
    throw new ConfigError(`signing algorithm must be RS256 or ES256, got "${alg}"`);
  const signer = str("signer") ?? "local";
  if (signer !== "local" && signer !== "aws-kms")
    throw new ConfigError(`signer must be local or aws-kms, got "${signer}"`);
  const kmsKeyIds = str("kmsKeyIds")
    ?.split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  if (kmsKeyIds !== undefined && signer !== "aws-kms")
    throw new ConfigError("KEYLESS_KMS_KEY_IDS needs KEYLESS_SIGNER=aws-kms");
  const issuerUrl = str("issuerUrl") ?? own;
  try {
    new URL(issuerUrl);
  } catch {
    throw new ConfigError(`issuer URL "${issuerUrl}" is not a URL`);
  }
  const keyOverlapSeconds = duration("keyOverlap", DEFAULT_OVERLAP_MS / 1000);
  if (keyOverlapSeconds * 1000 < MIN_OVERLAP_MS) {
    throw new ConfigError(
      `key overlap ${keyOverlapSeconds}s is shorter than ${MIN_OVERLAP_MS / 60000} minutes: AWS could sign-check a new key it has not fetched yet`,
    );
  }
  const wellKnownMaxAgeSeconds = duration("wellKnownMaxAge", 300);
  if (wellKnownMaxAgeSeconds >= keyOverlapSeconds) {
    throw new ConfigError("the discovery/JWKS max-age must be shorter than the key overlap");
  }
  const database = str("database") ?? join(dataDir, "keyless.db");
  try {
    parseDatabaseUrl(database);
  } catch (error) {
    throw new ConfigError(
      `--database: ${(error as Error).message}; give a file path, sqlite:PATH or postgres://…`,
    );
  }
  const rateLimitWindow = duration("rateLimitWindow", DEFAULT_RATE_LIMITS.windowSeconds);
  if (rateLimitWindow < 1) throw new ConfigError("the rate-limit window must be at least 1 second");
  const logLevel = str("logLevel") ?? "info";
  // pino's levels (https://getpino.io/#/docs/api?id=level-string), and "silent".
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`--log-level ${logLevel}: expected one of ${LOG_LEVELS.join(", ")}`);
  return {
    host,
    port,
    issuerUrl,
    publicUrl: str("publicUrl") ?? own,
    dataDir,
    database,
    tlsCert,
    tlsKey,
    kek: options.env[ENV.kek] || undefined,
    signingAlgorithm: alg,
    signer,
    kmsKeyIds: kmsKeyIds?.length ? kmsKeyIds : undefined,
    keyOverlapSeconds,
    keyRotationIntervalSeconds: duration("keyRotationInterval", DEFAULT_ROTATION_INTERVAL_MS / 1000),
    maxTokenLifetimeSeconds: duration("maxTokenLifetime", 86400),
    wellKnownMaxAgeSeconds,
    logLevel,
    workers: int("workers", 1),
    consoleSessionSeconds: duration("consoleSession", 8 * 3600),
    rateLimits: {
      windowSeconds: rateLimitWindow,
      tokenPerRun: int("tokenRateLimitPerRun", DEFAULT_RATE_LIMITS.tokenPerRun),
      tokenPerAddress: int("tokenRateLimitPerAddress", DEFAULT_RATE_LIMITS.tokenPerAddress),
      adminPerKey: int("adminRateLimitPerKey", DEFAULT_RATE_LIMITS.adminPerKey),
    },
  };
}
