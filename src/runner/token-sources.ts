import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { HttpResponse } from "@smithy/core/protocols";
import { getRetryAfterHint, StandardRetryStrategy } from "@smithy/core/retry";
import { errorKind, peerFailure, unreachable } from "../lib/errors.js";
import { httpGet } from "../lib/http-get.js";
import { parseJson } from "../lib/json.js";
import {
  type EnvMarker,
  PLATFORMS,
  type PlatformId,
  platformById,
  type TokenSourceFacts,
} from "../platforms/index.js";
import { MAX_ATTEMPTS } from "./sts.js";

/**
 * Where a job's ID token comes from: each platform record's token source (src/platforms/). Detection
 * follows a fixed order (first match wins), printed with the result so nobody has to guess which one was used; `--source`, `--from-file` and
 * `--from-env` override it.
 *
 * Sources that can mint again (request URLs, buildkite-agent, files the platform rewrites) are
 * `refreshable`: `keyless exec` keeps credentials alive past the token's lifetime with them. A token
 * handed over once in a variable cannot be renewed: credentials then last the role's session.
 */
export type SourceName = PlatformId | "file" | "env";

export interface TokenSource {
  readonly name: SourceName;
  /** Where exactly, for the log line ("GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL)"). */
  readonly description: string;
  /** Whether fetching again yields a fresh token. */
  readonly refreshable: boolean;
  /** Whether an audience can be asked for; the others carry their platform's fixed audience. */
  readonly audienceSelectable: boolean;
  /** `lifetimeSeconds` is honoured by the keyless issuer only (capped by the organization). */
  fetch(audience: string | undefined, options?: { lifetimeSeconds?: number }): Promise<string>;
}

export class TokenSourceError extends errorKind("ERR_TOKEN_SOURCE", "input") {}

export interface SourceEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly readFile: (path: string) => string;
  readonly fileExists: (path: string) => boolean;
  /** A GET trusting the public roots plus the job's extra CA (`--ca`), for request-URL sources. */
  readonly get: (
    url: string,
    headers: Record<string, string>,
  ) => Promise<{
    status: number;
    body: string;
    headers?: Readonly<Record<string, string | string[] | undefined>>;
  }>;
  readonly run: (command: string, args: string[]) => Promise<string>;
}

export function systemSourceEnvironment(options: { ca?: Buffer } = {}): SourceEnvironment {
  return {
    ...baseEnvironment,
    get: (url, headers) => httpGet(url, { headers, ...(options.ca ? { ca: options.ca } : {}) }),
  };
}

const baseEnvironment: Omit<SourceEnvironment, "get"> = {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  fileExists: (path) => {
    try {
      readFileSync(path);
      return true;
    } catch {
      return false;
    }
  },
  run: (command, args) =>
    new Promise((resolve, reject) => {
      execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) => {
        if (error)
          reject(
            new TokenSourceError(`${command} failed: ${(stderr || error.message).trim().split("\n")[0]}`),
          );
        else resolve(stdout);
      });
    }),
};

/** The GitHub Actions protocol (also the keyless issuer's): GET <url>&audience=… with a bearer token → {"value": jwt}. */
export async function requestToken(
  sys: SourceEnvironment,
  url: string,
  bearer: string,
  audience: string | undefined,
  what: string,
  extra: Record<string, string> = {},
): Promise<string> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new TokenSourceError(`${what}: the request URL is not a URL`);
  }
  if (audience !== undefined) target.searchParams.set("audience", audience);
  for (const [name, value] of Object.entries(extra)) target.searchParams.set(name, value);
  const send = () =>
    sys.get(target.toString(), { authorization: `Bearer ${bearer}`, accept: "application/json" });
  // An issuer restarting its database, overloaded or rate limiting answers 5xx or 429, often with
  // Retry-After: a wait away from a token, not a mistake in the job's request. Retried by the AWS SDK's
  // own standard retry strategy, as the STS calls are (its backoff, retry quota and Retry-After hint:
  // https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), as GitHub's own toolkit
  // retries its ID-token request; then a failure outside keyless (exit 3).
  const strategy = new StandardRetryStrategy(maxAttempts(sys.env));
  let retry = await strategy.acquireInitialRetryToken("keyless-token-request");
  /** Waits for the next attempt, or false when the strategy gives up (attempts or quota spent). */
  const again = async (errorType: "THROTTLING" | "TRANSIENT", retryAfterHint?: Date): Promise<boolean> => {
    try {
      retry = await strategy.refreshRetryTokenForRetry(retry, {
        errorType,
        ...(retryAfterHint ? { retryAfterHint } : {}),
      });
      return true;
    } catch {
      return false;
    }
  };
  let response: Awaited<ReturnType<SourceEnvironment["get"]>>;
  for (;;) {
    const after = retry.getRetryCount() > 0 ? ` (after ${retry.getRetryCount() + 1} attempts)` : "";
    try {
      response = await send();
    } catch (error) {
      if (await again("TRANSIENT")) continue;
      throw unreachable(`${what}: cannot reach ${target.origin}: ${(error as Error).message}${after}`, {
        cause: error,
      });
    }
    if (response.status !== 429 && response.status < 500) break;
    const hint = getRetryAfterHint(
      new HttpResponse({ statusCode: response.status, headers: flat(response.headers) }),
    );
    if (await again(response.status === 429 ? "THROTTLING" : "TRANSIENT", hint)) continue;
    throw peerFailure(
      `${what}: the token request failed (HTTP ${response.status}${problemDetail(response.body)})${after}`,
    );
  }
  strategy.recordSuccess(retry);
  const body = response.body;
  if (response.status < 200 || response.status >= 300) {
    throw new TokenSourceError(
      `${what}: the token request was refused (HTTP ${response.status}${problemDetail(body)})`,
    );
  }
  try {
    const value = (parseJson(body) as { value?: unknown }).value;
    if (typeof value === "string" && value.split(".").length === 3) return value;
  } catch {}
  throw new TokenSourceError(`${what}: the answer holds no token (expected {"value": "<jwt>"})`);
}

/** ": <detail>" from a problem document or an error object's message, else "". */
function problemDetail(body: string): string {
  try {
    const parsed = parseJson(body) as { detail?: string; title?: string; message?: string };
    const detail = parsed.detail ?? parsed.title ?? parsed.message ?? "";
    return typeof detail === "string" && detail !== "" ? `: ${detail}` : "";
  } catch {
    return "";
  }
}

/** Attempts per token request: `AWS_MAX_ATTEMPTS` when set (the runner's one retry setting), else STS's. */
function maxAttempts(env: NodeJS.ProcessEnv): number {
  const n = Number(env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : MAX_ATTEMPTS;
}

/** Response headers as one string each (the first of a repeated header), as the SDK's parser reads them. */
const flat = (headers: Readonly<Record<string, string | string[] | undefined>> | undefined) =>
  Object.fromEntries(
    Object.entries(headers ?? {}).flatMap(([name, value]) => {
      const first = Array.isArray(value) ? value[0] : value;
      return first === undefined ? [] : [[name, first]];
    }),
  ) as Record<string, string>;

const fromVariable = (
  sys: SourceEnvironment,
  name: SourceName,
  variable: string,
  description: string,
): TokenSource => ({
  name,
  description: `${description} (${variable})`,
  refreshable: false,
  audienceSelectable: false,
  fetch: async () => {
    const value = sys.env[variable]?.trim();
    if (!value) throw new TokenSourceError(`${variable} is empty`);
    return value;
  },
});

const fromFile = (
  sys: SourceEnvironment,
  name: SourceName,
  path: string,
  description: string,
): TokenSource => ({
  name,
  description: `${description} (${path})`,
  // Platforms that write a token file (Kubernetes projected tokens, Spacelift) rewrite it before
  // expiry, so reading it again is a refresh.
  refreshable: true,
  audienceSelectable: false,
  fetch: async () => {
    let value: string;
    try {
      value = sys.readFile(path).trim();
    } catch (error) {
      throw new TokenSourceError(
        `cannot read token file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    if (!value) throw new TokenSourceError(`token file ${path} is empty`);
    return value;
  },
});

/** Whether an environment marker holds: the variable is set (non-empty), or equals the value. */
const holds = (env: NodeJS.ProcessEnv, m: EnvMarker): boolean =>
  m.equals === undefined ? Boolean(env[m.variable]) : env[m.variable] === m.equals;

/** A platform's source from its record, or undefined when the platform's markers are absent. */
function fromFacts(
  sys: SourceEnvironment,
  name: SourceName,
  facts: TokenSourceFacts,
): TokenSource | undefined {
  const env = sys.env;
  const { request, command, namedVariable } = facts;
  if (request && env[request.urlVariable] && env[request.tokenVariable]) {
    return {
      name,
      description: `${facts.description} (${request.urlVariable})`,
      refreshable: true,
      audienceSelectable: true,
      fetch: (aud, options) =>
        requestToken(
          sys,
          env[request.urlVariable]!,
          env[request.tokenVariable]!,
          aud ?? request.defaultAudience,
          facts.description,
          request.lifetimeParameter && options?.lifetimeSeconds !== undefined
            ? { [request.lifetimeParameter]: String(options.lifetimeSeconds) }
            : {},
        ),
    };
  }
  const variable = facts.variables?.find((v) => env[v]);
  if (variable) return fromVariable(sys, name, variable, facts.description);
  const named = facts.fileVariable && env[facts.fileVariable.variable];
  if (named) return fromFile(sys, name, named, facts.fileVariable!.description);
  const file = facts.files?.find((f) => sys.fileExists(f.path));
  if (file) return fromFile(sys, name, file.path, file.description);
  if (command?.when.some((m) => holds(env, m))) {
    return {
      name,
      description: `${facts.description} (${command.description})`,
      refreshable: true,
      audienceSelectable: true,
      fetch: async (aud) =>
        (await sys.run(command.program, command.args(aud ?? command.defaultAudience))).trim(),
    };
  }
  if (namedVariable && holds(env, namedVariable.when)) throw new TokenSourceError(namedVariable.hint);
  return undefined;
}

/** The platforms with a token source, in the registry's (detection) order. */
const SOURCES = PLATFORMS.filter((p) => p.tokenSource !== undefined);

/** Each platform's source, in detection order; undefined when the platform's markers are absent. */
function candidates(sys: SourceEnvironment): Array<[SourceName, () => TokenSource | undefined]> {
  return SOURCES.map((p) => [p.id, () => fromFacts(sys, p.id, p.tokenSource!)]);
}

export const DETECTION_ORDER: readonly SourceName[] = SOURCES.map((p) => p.id);

export interface SourceChoice {
  readonly source?: SourceName;
  readonly fromFile?: string;
  readonly fromEnv?: string;
}

export function chooseTokenSource(
  choice: SourceChoice,
  sys: SourceEnvironment = systemSourceEnvironment(),
): TokenSource {
  if (choice.fromFile) return fromFile(sys, "file", choice.fromFile, "file");
  if (choice.fromEnv) {
    const variable = choice.fromEnv;
    if (sys.env[variable] === undefined)
      throw new TokenSourceError(`--from-env ${variable}: the variable is not set`);
    return fromVariable(sys, "env", variable, "variable");
  }
  const all = candidates(sys);
  if (choice.source) {
    const found = all.find(([name]) => name === choice.source)?.[1]();
    if (!found)
      throw new TokenSourceError(
        `--source ${choice.source}: its environment is not present (${requirement(choice.source)})`,
      );
    return found;
  }
  for (const [, detect] of all) {
    const source = detect();
    if (source) return source;
  }
  throw new TokenSourceError(
    `no ID token source found; tried, in order: ${DETECTION_ORDER.join(", ")}. Use --from-file FILE or --from-env VARIABLE, or set ${platformById("keyless").tokenSource!.requirement}`,
  );
}

function requirement(name: SourceName): string {
  return SOURCES.find((p) => p.id === name)?.tokenSource?.requirement ?? name;
}
