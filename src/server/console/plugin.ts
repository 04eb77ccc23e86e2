import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { readEmulatorRoles } from "../../analysis/lint/inputs/emulator.js";
import { problem } from "../../issuer/errors.js";
import { AWS_SKEW_MS, MIN_OVERLAP_MS } from "../../issuer/key-lifecycle.js";
import { PROFILES } from "../../issuer/model.js";
import type { IssuerService } from "../../issuer/service.js";
import { DELEGATION_HEADER, delegate, parse } from "../issuer/http.js";
import { type ConsoleAsset, type ConsoleAssets, loadConsoleAssets } from "./assets.js";
import { type ConsoleSessionActor, ConsoleSessions } from "./sessions.js";

/** Session lifetime unless configured: a working day. */
export const DEFAULT_CONSOLE_SESSION_SECONDS = 8 * 3600;
export const CONSOLE_COOKIE = "keyless_console";
export const CSRF_HEADER = "x-csrf-token";

/**
 * The console's Content-Security-Policy: scripts, styles and requests from this server only, nothing
 * inline, no frames, no plugins, no `<base>`. https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export interface ConsoleOptions {
  readonly service: IssuerService;
  /** Served over TLS: the cookie gets `Secure`. */
  readonly secure: boolean;
  readonly sessions?: ConsoleSessions;
  readonly sessionSeconds?: number;
  /** The built console; by default read from dist/console. */
  readonly assets?: ConsoleAssets | undefined;
  /** An AWS emulator whose roles the playground may load (`keyless dev` connects its own). */
  readonly emulator?: ConnectedEmulator;
}

/** Where the playground's "role from the emulator" list comes from; set once the emulator listens. */
export class ConnectedEmulator {
  private target: { endpoint: string; accounts: readonly string[] } | undefined;

  connect(endpoint: string, accounts: readonly string[]): void {
    this.target = { endpoint, accounts };
  }

  /** Every role's ARN and trust policy (ListRoles per account with the emulator's test credentials). */
  async roles(): Promise<{ arn: string; trustPolicy: unknown }[] | undefined> {
    if (!this.target) return undefined;
    const sources = await readEmulatorRoles(this.target.endpoint, this.target.accounts);
    return sources.map((s) => ({ arn: s.location, trustPolicy: s.policy }));
  }
}

const SignIn = z.union([
  z.strictObject({ key: z.string().min(1).max(512) }),
  z.strictObject({ code: z.string().min(1).max(512) }),
]);
const SubPreview = z.strictObject({
  subTemplate: z.string().max(1000),
  runId: z.string().min(1).optional(),
  environmentId: z.string().min(1).optional(),
  phase: z.enum(["plan", "apply", "destroy"]).optional(),
  deployer: z.string().optional(),
  attributes: z.record(z.string(), z.string()).optional(),
});

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

function cookieValue(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", CONSOLE_CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cross-origin-opener-policy", "same-origin")
    .header("cross-origin-resource-policy", "same-origin");
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, a: ConsoleAsset, cache: string) {
  securityHeaders(reply).header("content-type", a.type).header("cache-control", cache).header("etag", a.etag);
  reply.header("vary", "accept-encoding");
  if (req.headers["if-none-match"] === a.etag) return reply.code(304).send();
  if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    return reply.header("content-encoding", "gzip").send(a.gzip);
  }
  return reply.send(a.body);
}

/**
 * The web console under `/console/`: the built single-page app, and its session endpoints. A session is
 * made from an API key (or a one-time code from `keyless dev`) and kept in the issuer's store as hashes
 * and the key's id; the page holds only an `HttpOnly` cookie and the CSRF token. `/console/api/…` forwards
 * to the admin API `/api/…` acting as the session's key, so scopes are exactly the admin API's; every change must carry `X-CSRF-Token`.
 */
export const consolePlugin: FastifyPluginAsync<ConsoleOptions> = async (app, options) => {
  const { service } = options;
  const sessions =
    options.sessions ??
    new ConsoleSessions(service, options.sessionSeconds ?? DEFAULT_CONSOLE_SESSION_SECONDS);
  const assets = "assets" in options ? options.assets : loadConsoleAssets();

  const setCookie = (reply: FastifyReply, value: string, maxAge: number) =>
    reply.header(
      "set-cookie",
      `${CONSOLE_COOKIE}=${value}; Path=/console; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${options.secure ? "; Secure" : ""}`,
    );

  /** The session of the request; 401 without one. Changes also need the CSRF token and our own origin. */
  const sessionOf = async (req: FastifyRequest): Promise<ConsoleSessionActor> => {
    const session = await sessions.get(cookieValue(req, CONSOLE_COOKIE));
    if (!SAFE.has(req.method)) {
      checkOrigin(req);
      if (!(await sessions.checkCsrf(session.id, req.headers[CSRF_HEADER] as string | undefined)))
        throw problem("forbidden", "the CSRF token is missing or wrong: reload the console");
    }
    return session;
  };

  app.addHook("onSend", async (_req, reply, payload) => {
    securityHeaders(reply);
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
    return payload;
  });

  app.get("/console", (_req, reply) => reply.redirect("/console/", 302));
  const index = (req: FastifyRequest, reply: FastifyReply) => {
    if (!assets) throw problem("not-found", "the console was not built (npm run build)");
    return sendAsset(req, reply, assets.index, "no-cache");
  };
  app.get("/console/", index);
  app.get("/console/index.html", index);
  app.get<{ Params: { name: string } }>("/console/assets/:name", (req, reply) => {
    const file = assets?.files.get(req.params.name);
    if (!file) throw problem("not-found", `no console asset ${req.params.name}`);
    // Names carry a content hash: a changed file is a new name.
    return sendAsset(req, reply, file, "public, max-age=31536000, immutable");
  });

  app.post("/console/session", async (req, reply) => {
    checkOrigin(req);
    const body = parse(SignIn, req.body);
    const actor =
      "code" in body ? await sessions.redeem(body.code) : await service.apiKeys.authenticate(body.key);
    if (actor.key.scope.kind === "runner")
      throw problem("forbidden", "a runner API key cannot sign in to the console");
    const session = await sessions.create(actor);
    setCookie(reply, session.id, sessions.ttlSeconds);
    return describe({ ...session, actor });
  });
  app.get("/console/session", async (req) => describe(await sessionOf(req)));
  app.delete("/console/session", async (req, reply) => {
    const session = await sessionOf(req);
    await sessions.delete(session.id);
    setCookie(reply, "", 0);
    return reply.code(204).send();
  });

  // The live preview of a `sub` template not yet saved (the admin API previews only saved settings).
  app.post<{ Params: { org: string } }>("/console/organizations/:org/sub-preview", async (req) => {
    const { actor } = await sessionOf(req);
    const body = parse(SubPreview, req.body);
    const { subTemplate, runId, ...draft } = body;
    if (runId) return service.runs.previewClaims(actor, req.params.org, { runId, subTemplate });
    if (!draft.environmentId)
      throw problem("bad-request", "give a run id, or an environment id and the run values");
    return service.runs.previewClaims(actor, req.params.org, {
      environmentId: draft.environmentId,
      phase: draft.phase ?? "apply",
      deployer: draft.deployer ?? "console-preview",
      attributes: draft.attributes ?? {},
      subTemplate,
    });
  });

  // The playground's role list: the emulator's roles are no organization's, so admins only.
  app.get("/console/emulator/roles", async (req) => {
    const { actor } = await sessionOf(req);
    if (actor.key.scope.kind !== "admin")
      throw problem("forbidden", "the emulator's roles are for admin keys");
    const roles = await options.emulator?.roles();
    if (!roles) throw problem("not-found", "no AWS emulator is connected to this console");
    return { roles };
  });

  app.route({
    method: ["GET", "POST", "PATCH", "DELETE"],
    url: "/console/api/*",
    handler: async (req, reply) => {
      const { actor } = await sessionOf(req);
      const url = `/api/${req.url.slice("/console/api/".length)}`;
      const hasBody = req.body !== undefined && req.body !== null;
      // The admin API acts as the session's key through a one-use in-process delegation: the server
      // holds no key secret (see delegate in ../issuer/http.ts).
      const delegation = delegate(actor);
      const forwarded = await app
        .inject({
          method: req.method as "GET" | "POST" | "PATCH" | "DELETE",
          url,
          headers: {
            [DELEGATION_HEADER]: delegation.nonce,
            ...(hasBody ? { "content-type": "application/json" } : {}),
          },
          ...(hasBody ? { payload: JSON.stringify(req.body) } : {}),
        })
        .finally(delegation.release);
      reply.code(forwarded.statusCode);
      const type = forwarded.headers["content-type"];
      if (type) reply.header("content-type", type);
      const retry = forwarded.headers["retry-after"];
      if (retry) reply.header("retry-after", retry);
      return reply.send(forwarded.rawPayload.length > 0 ? forwarded.rawPayload : undefined);
    },
  });

  function describe(session: ConsoleSessionActor) {
    const key = session.actor.key;
    return {
      csrf: session.csrf,
      expiresAt: new Date(session.expiresAt).toISOString(),
      // The compatibility profiles an organization may use (the page holds no platform names itself).
      profiles: PROFILES,
      // What the keys page explains rotation with: how long a new key is published before it signs.
      keyOverlapSeconds: Math.round(service.config.keyPolicy.overlapMs / 1000),
      // How long AWS may keep a fetched JWKS, as keyless bounds it (the overlap's floor: AWS does not
      // publish the figure), and how long past a token's expiry AWS still accepts it (five minutes,
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html).
      jwksCacheSeconds: MIN_OVERLAP_MS / 1000,
      tokenSkewSeconds: AWS_SKEW_MS / 1000,
      actor: {
        keyId: key.id,
        name: key.name,
        scope: key.scope.kind,
        organizationId: key.scope.kind === "admin" ? null : key.scope.organizationId,
      },
    };
  }
};

/** A change must come from a page of this server: `Origin`, when the browser sends it, names our host. */
function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw problem("forbidden", "the request's Origin is not this server");
  }
  if (host !== req.headers.host) throw problem("forbidden", "the request's Origin is not this server");
}
