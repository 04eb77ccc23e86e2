import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
import { type ExitClass, fileErrorFrom, inputError, KeylessError, unreachable } from "../../lib/errors.js";
import { readCredentials } from "./credentials.js";

/**
 * The admin API's HTTP client for the admin commands (`keyless org`, `project`, `env`, `api-key`, `run`,
 * `audit`, `signing-key`): JSON over HTTP(S) with `Authorization: Bearer <API key>`, and RFC 9457 problem
 * documents (https://www.rfc-editor.org/rfc/rfc9457) turned into one-line errors with the CLI's exit
 * statuses.
 */

/** A refusal of the admin API: its problem type is the code; the status decides the exit class. */
export class AdminApiError extends KeylessError<string> {
  readonly exitClass: ExitClass;
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    // A refusal of the key (401, 403) is a "no" (exit 1); a request the server cannot do as asked (an
    // unknown name, a bad value, a conflict) is bad input (2); the server failing or throttling, outside (3).
    this.exitClass =
      status === 401 || status === 403 ? "negative" : status >= 500 || status === 429 ? "outside" : "input";
  }
}

/** Where the admin commands connect and with which key, after flags, the environment and the login file. */
export interface AdminTarget {
  /** Base URL, e.g. `https://keyless.example.com`; no trailing slash. */
  readonly server: string;
  readonly apiKey: string;
  /** Extra CA certificates (PEM) trusted besides the public roots and NODE_EXTRA_CA_CERTS. */
  readonly ca: readonly Buffer[];
}

export interface ConnectionFlags {
  server?: string;
  ca?: string;
}

export function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileErrorFrom(error, what, path, "give a readable PEM certificate file");
  }
}

/**
 * The server (`--server`, else `KEYLESS_SERVER`, else the login file's), the API key (`KEYLESS_API_KEY`,
 * else the login file's key for that server) and the CAs (`--ca`, else the login file's).
 *
 * @throws GeneralError `ERR_INPUT` (exit 2) when no server or no key is known, saying how to give one.
 */
export function adminTarget(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): AdminTarget {
  const saved = readCredentials(env);
  const raw = flags.server ?? env.KEYLESS_SERVER ?? saved?.default;
  if (!raw) {
    throw inputError("no server: give --server URL, set KEYLESS_SERVER, or run keyless login --server URL");
  }
  const server = normalizeServer(raw);
  const entry = saved?.servers[server];
  const apiKey = env.KEYLESS_API_KEY || entry?.apiKey;
  if (!apiKey) {
    throw inputError(`no API key for ${server}: set KEYLESS_API_KEY or run keyless login --server ${server}`);
  }
  const caPath = flags.ca ?? entry?.ca;
  return { server, apiKey, ca: caPath ? [readPem(caPath, "--ca")] : [] };
}

/** `raw` as an http(s) origin plus path, without a trailing slash; bad input otherwise. */
export function normalizeServer(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw inputError(`--server ${raw}: not a URL (e.g. https://keyless.example.com)`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw inputError(`--server ${raw}: use https://`);
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
}

/** Path segments as the API wants them in a URL. */
export const seg = (s: string) => encodeURIComponent(s);

export class AdminClient {
  constructor(readonly target: AdminTarget) {}

  /**
   * `method path` with a JSON body; resolves with the parsed JSON answer (undefined for 204).
   *
   * @throws AdminApiError for any 4xx/5xx (its problem's type and detail); GeneralError `ERR_UNREACHABLE`
   *   (exit 3) naming the server when it cannot be reached or its certificate is not trusted.
   */
  // biome-ignore lint/suspicious/noExplicitAny: callers read the admin API's documented JSON fields.
  async call(method: string, path: string, body?: unknown): Promise<any> {
    const url = new URL(`${this.target.server}${path}`);
    const https = url.protocol === "https:";
    const send = https ? httpsRequest : httpRequest;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // Node's `ca` option replaces the trusted roots, so they and NODE_EXTRA_CA_CERTS are passed again.
    const extra = [...this.target.ca];
    const envCa = process.env.NODE_EXTRA_CA_CERTS;
    if (extra.length > 0 && envCa) extra.push(readPem(envCa, "NODE_EXTRA_CA_CERTS"));
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers: {
            authorization: `Bearer ${this.target.apiKey}`,
            accept: "application/json",
            ...(payload !== undefined ? { "content-type": "application/json" } : {}),
          },
          ...(https && extra.length > 0 ? { ca: [...rootCertificates, ...extra.map(String)] } : {}),
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => {
            text += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", reject);
        },
      );
      req.setTimeout(60_000, () =>
        req.destroy(Object.assign(new Error("no answer in time"), { code: "ETIMEDOUT" })),
      );
      req.on("error", reject);
      req.end(payload);
    }).catch((error: NodeJS.ErrnoException) => {
      const code = error.code ? ` (${error.code})` : "";
      const hint = /CERT|SIGNATURE|SELF_SIGNED|ISSUER/.test(error.code ?? "")
        ? "; trust its CA with --ca FILE or NODE_EXTRA_CA_CERTS"
        : "";
      throw unreachable(`cannot reach ${this.target.server}: ${error.message}${code}${hint}`, {
        cause: error,
      });
    });
    if (answer.status === 204) return undefined;
    let json: unknown;
    try {
      json = answer.text ? JSON.parse(answer.text) : undefined;
    } catch {
      json = undefined;
    }
    if (answer.status >= 400) {
      const p = (json ?? {}) as { type?: string; detail?: string; title?: string };
      const type = p.type?.replace(/^.*\/problems\//, "") ?? `http-${answer.status}`;
      const detail = p.detail ?? p.title ?? answer.text.slice(0, 200);
      throw new AdminApiError(
        type,
        answer.status,
        `${detail} (${answer.status} ${type}, ${method} ${path.split("?")[0]})`,
      );
    }
    return json;
  }
}
