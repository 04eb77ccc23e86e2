import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { errorKind, unreachable } from "../lib/errors.js";
import { httpGet } from "../lib/http-get.js";
import { parseJson } from "../lib/json.js";

/**
 * Where a job's ID token comes from. Detection follows a fixed order (first match wins), printed
 * with the result so nobody has to guess which one was used; `--source`, `--from-file` and
 * `--from-env` override it.
 *
 * Sources that can mint again (request URLs, buildkite-agent, files the platform rewrites) are
 * `refreshable`: `keyless exec` keeps credentials alive past the token's lifetime with them. A token
 * handed over once in a variable cannot be renewed: credentials then last the role's session.
 */
export type SourceName =
  | "keyless"
  | "github"
  | "gitlab"
  | "env0"
  | "spacelift"
  | "tfc"
  | "buildkite"
  | "circleci"
  | "kubernetes"
  | "file"
  | "env";

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
  readonly get: (url: string, headers: Record<string, string>) => Promise<{ status: number; body: string }>;
  readonly run: (command: string, args: string[]) => Promise<string>;
}

export const SPACELIFT_TOKEN_FILE = "/mnt/workspace/spacelift.oidc";
export const EKS_TOKEN_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";

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
  let response: { status: number; body: string };
  try {
    response = await sys.get(target.toString(), {
      authorization: `Bearer ${bearer}`,
      accept: "application/json",
    });
  } catch (error) {
    throw unreachable(`${what}: cannot reach ${target.origin}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const body = response.body;
  if (response.status < 200 || response.status >= 300) {
    let detail = "";
    try {
      const parsed = parseJson(body) as { detail?: string; title?: string; message?: string };
      detail = parsed.detail ?? parsed.title ?? parsed.message ?? "";
    } catch {}
    throw new TokenSourceError(
      `${what}: the token request was refused (HTTP ${response.status}${detail ? `: ${detail}` : ""})`,
    );
  }
  try {
    const value = (parseJson(body) as { value?: unknown }).value;
    if (typeof value === "string" && value.split(".").length === 3) return value;
  } catch {}
  throw new TokenSourceError(`${what}: the answer holds no token (expected {"value": "<jwt>"})`);
}

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

/** Each platform's source, in detection order; undefined when the platform's markers are absent. */
function candidates(sys: SourceEnvironment): Array<[SourceName, () => TokenSource | undefined]> {
  const env = sys.env;
  return [
    [
      "keyless",
      () =>
        env.KEYLESS_ID_TOKEN_REQUEST_URL && env.KEYLESS_ID_TOKEN_REQUEST_TOKEN
          ? {
              name: "keyless",
              description: "keyless issuer (KEYLESS_ID_TOKEN_REQUEST_URL)",
              refreshable: true,
              audienceSelectable: true,
              fetch: (aud, options) =>
                requestToken(
                  sys,
                  env.KEYLESS_ID_TOKEN_REQUEST_URL!,
                  env.KEYLESS_ID_TOKEN_REQUEST_TOKEN!,
                  aud,
                  "keyless issuer",
                  options?.lifetimeSeconds !== undefined ? { lifetime: String(options.lifetimeSeconds) } : {},
                ),
            }
          : undefined,
    ],
    [
      "github",
      () =>
        env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
          ? {
              name: "github",
              description: "GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL)",
              refreshable: true,
              audienceSelectable: true,
              fetch: (aud) =>
                requestToken(
                  sys,
                  env.ACTIONS_ID_TOKEN_REQUEST_URL!,
                  env.ACTIONS_ID_TOKEN_REQUEST_TOKEN!,
                  aud ?? "sts.amazonaws.com",
                  "GitHub Actions",
                ),
            }
          : undefined,
    ],
    ["env0", () => (env.ENV0_OIDC_TOKEN ? fromVariable(sys, "env0", "ENV0_OIDC_TOKEN", "env0") : undefined)],
    [
      "spacelift",
      () =>
        env.SPACELIFT_OIDC_TOKEN
          ? fromVariable(sys, "spacelift", "SPACELIFT_OIDC_TOKEN", "Spacelift")
          : sys.fileExists(SPACELIFT_TOKEN_FILE)
            ? fromFile(sys, "spacelift", SPACELIFT_TOKEN_FILE, "Spacelift")
            : undefined,
    ],
    [
      "tfc",
      () =>
        env.TFC_WORKLOAD_IDENTITY_TOKEN
          ? fromVariable(sys, "tfc", "TFC_WORKLOAD_IDENTITY_TOKEN", "HCP Terraform")
          : undefined,
    ],
    [
      "buildkite",
      () =>
        env.BUILDKITE === "true" || env.BUILDKITE_AGENT_ACCESS_TOKEN
          ? {
              name: "buildkite",
              description: "Buildkite (buildkite-agent oidc request-token)",
              refreshable: true,
              audienceSelectable: true,
              fetch: async (aud) => {
                const args = ["oidc", "request-token", "--audience", aud ?? "sts.amazonaws.com"];
                return (await sys.run("buildkite-agent", args)).trim();
              },
            }
          : undefined,
    ],
    [
      "circleci",
      () =>
        env.CIRCLE_OIDC_TOKEN_V2
          ? fromVariable(sys, "circleci", "CIRCLE_OIDC_TOKEN_V2", "CircleCI")
          : env.CIRCLE_OIDC_TOKEN
            ? fromVariable(sys, "circleci", "CIRCLE_OIDC_TOKEN", "CircleCI")
            : undefined,
    ],
    [
      "gitlab",
      () => {
        if (env.GITLAB_CI !== "true") return undefined;
        throw new TokenSourceError(
          "GitLab CI: name the id_tokens variable that holds the token, e.g. --from-env AWS_ID_TOKEN (GitLab lets each job choose its name)",
        );
      },
    ],
    [
      "kubernetes",
      () =>
        env.AWS_WEB_IDENTITY_TOKEN_FILE
          ? fromFile(sys, "kubernetes", env.AWS_WEB_IDENTITY_TOKEN_FILE, "projected service-account token")
          : sys.fileExists(EKS_TOKEN_FILE)
            ? fromFile(sys, "kubernetes", EKS_TOKEN_FILE, "EKS projected service-account token")
            : undefined,
    ],
  ];
}

export const DETECTION_ORDER: readonly SourceName[] = [
  "keyless",
  "github",
  "env0",
  "spacelift",
  "tfc",
  "buildkite",
  "circleci",
  "gitlab",
  "kubernetes",
];

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
    return {
      ...fromVariable(sys, choice.source === "gitlab" ? "gitlab" : "env", variable, "variable"),
      name: "env",
    };
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
    `no ID token source found; tried, in order: ${DETECTION_ORDER.join(", ")}. Use --from-file FILE or --from-env VARIABLE, or set KEYLESS_ID_TOKEN_REQUEST_URL and KEYLESS_ID_TOKEN_REQUEST_TOKEN`,
  );
}

function requirement(name: SourceName): string {
  const needs: Record<string, string> = {
    keyless: "KEYLESS_ID_TOKEN_REQUEST_URL and KEYLESS_ID_TOKEN_REQUEST_TOKEN",
    github: "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (permissions: id-token: write)",
    env0: "ENV0_OIDC_TOKEN",
    spacelift: `SPACELIFT_OIDC_TOKEN or ${SPACELIFT_TOKEN_FILE}`,
    tfc: "TFC_WORKLOAD_IDENTITY_TOKEN",
    buildkite: "BUILDKITE=true and buildkite-agent",
    circleci: "CIRCLE_OIDC_TOKEN_V2",
    gitlab: "GITLAB_CI=true and --from-env",
    kubernetes: `AWS_WEB_IDENTITY_TOKEN_FILE or ${EKS_TOKEN_FILE}`,
  };
  return needs[name] ?? name;
}
