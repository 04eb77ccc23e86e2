/** The console's calls to its server: the session endpoints and the admin API behind `/console/api/`. */

export interface Actor {
  readonly keyId: string | null;
  readonly name: string;
  readonly scope: "admin" | "org_admin";
  readonly organizationId: string | null;
}

export interface SessionInfo {
  readonly csrf: string;
  readonly expiresAt: string;
  readonly profiles: readonly string[];
  /** How long a new signing key is published before it signs. */
  readonly keyOverlapSeconds: number;
  /** How long AWS may keep a fetched JWKS, as keyless bounds it (seconds). */
  readonly jwksCacheSeconds: number;
  /** How long past `exp` AWS still accepts a token (seconds). */
  readonly tokenSkewSeconds: number;
  readonly actor: Actor;
}

/** A refusal from the server, as its RFC 9457 problem document says it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf = "";

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["x-csrf-token"] = csrf;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const p = (json ?? {}) as { detail?: string; title?: string; type?: string };
    throw new ApiError(
      response.status,
      String(p.type ?? "").replace(/^.*\//, ""),
      p.detail ?? p.title ?? `HTTP ${response.status}`,
    );
  }
  return json as T;
}

/** The admin API (`/api/v1/…`) through the session: `path` starts after `/api/`, e.g. `v1/organizations`. */
export const api = {
  get: <T>(path: string) => call<T>("GET", `/console/api/${path}`),
  post: <T>(path: string, body?: unknown) => call<T>("POST", `/console/api/${path}`, body ?? {}),
  patch: <T>(path: string, body: unknown) => call<T>("PATCH", `/console/api/${path}`, body),
  del: <T>(path: string) => call<T>("DELETE", `/console/api/${path}`),
  /** One of the console's own routes (`/console/…`). */
  raw: <T>(method: string, url: string) => call<T>(method, url),
};

export async function currentSession(): Promise<SessionInfo | undefined> {
  try {
    const s = await call<SessionInfo>("GET", "/console/session");
    csrf = s.csrf;
    return s;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function signIn(credential: { key: string } | { code: string }): Promise<SessionInfo> {
  const s = await call<SessionInfo>("POST", "/console/session", credential);
  csrf = s.csrf;
  return s;
}

export async function signOut(): Promise<void> {
  await call<void>("DELETE", "/console/session");
  csrf = "";
}

/** Claims and `sub` for a template not yet saved, for a run or for sample run values. */
export function subPreview(
  org: string,
  body: { subTemplate: string; runId?: string; environmentId?: string; attributes?: Record<string, string> },
) {
  return call<{ header: Record<string, unknown>; claims: Record<string, unknown> }>(
    "POST",
    `/console/organizations/${encodeURIComponent(org)}/sub-preview`,
    body,
  );
}

// ---- shapes of the admin API the pages use

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly profile: string;
  readonly subTemplate: string | null;
  readonly allowedAudiences: readonly string[];
  readonly sessionTags: {
    readonly enabled: boolean;
    readonly keys: readonly string[];
    readonly transitive: readonly string[];
  };
}
export interface Project {
  readonly id: string;
  readonly name: string;
  readonly subTemplate: string | null;
}
export interface Environment {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
}
export interface Run {
  readonly id: string;
  readonly projectId: string;
  readonly environmentId: string;
  readonly phase: string;
  readonly deployer: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly completedAt: string | null;
}
export interface AuditEntry {
  readonly id: string;
  readonly at: number | string;
  readonly actor: string;
  readonly action: string;
  readonly organizationId: string | null;
  readonly target: string | null;
  readonly kid: string | null;
  readonly tokenExp: number | null;
  readonly details: Record<string, unknown>;
}
export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly state: string;
  readonly createdAt: string;
  readonly activateAt: string | null;
  readonly supersededAt: string | null;
  readonly retiredAt: string | null;
  readonly unpublishAt: string | null;
}

export const enc = encodeURIComponent;

/** A duration in words: "in 59 minutes", "3 hours ago". */
export function inWords(targetMs: number, nowMs: number): string {
  const d = Math.round((targetMs - nowMs) / 1000);
  const a = Math.abs(d);
  const [n, unit] =
    a < 90
      ? [a, "second"]
      : a < 5400
        ? [Math.round(a / 60), "minute"]
        : a < 129600
          ? [Math.round(a / 3600), "hour"]
          : [Math.round(a / 86400), "day"];
  const words = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return d >= 0 ? `in ${words}` : `${words} ago`;
}
