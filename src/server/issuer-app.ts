import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { ZodError } from "zod";
import { IssuerProblem, problem } from "../issuer/errors.js";
import type { IssuerService } from "../issuer/service.js";
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from "../store/unavailable.js";
import { apiKeysApi } from "./issuer/api-keys.js";
import { auditApi } from "./issuer/audit.js";
import { healthApi } from "./issuer/health.js";
import { type AdminScope, authorizeAdminRequest, sendProblem } from "./issuer/http.js";
import { runsApi } from "./issuer/runs.js";
import { signingKeysApi } from "./issuer/signing-keys.js";
import { tenancyApi } from "./issuer/tenancy.js";
import type { Metrics } from "./metrics.js";
import { instrumentIssuerApp } from "./metrics-http.js";
import { addRateLimits, type RateLimits } from "./rate-limits.js";
import { OneLineRequestLog } from "./request-log.js";

export interface IssuerAppOptions {
  readonly service: IssuerService;
  /** pino logger (secrets redacted: see server/logger.ts); omit for silence. */
  readonly logger?: Logger;
  /** `Cache-Control: max-age` of discovery and JWKS. Keep it well under the key overlap. */
  readonly wellKnownMaxAgeSeconds?: number;
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Prometheus metrics (server/metrics.ts) and whether this process is one of several workers. */
  readonly metrics?: { readonly registry: Metrics; readonly clustered: boolean } | undefined;
  /** Request budgets (server/rate-limits.ts); omitted: none. */
  readonly rateLimits?: RateLimits;
}

/** An admin route as registered: method, URL pattern and the scope its `onRequest` check requires. */
export interface RegisteredAdminRoute {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  readonly url: string;
  readonly scope: AdminScope;
}

const ADMIN_PREFIX = "/api/";
const registered = new WeakMap<FastifyInstance, RegisteredAdminRoute[]>();

/** Every admin route the app registered (so tests cover each one, including routes added later). */
export function registeredAdminRoutes(app: FastifyInstance): readonly RegisteredAdminRoute[] {
  return registered.get(app) ?? [];
}

/**
 * The issuer's HTTP surface as a Fastify app, not yet listening: one encapsulated plugin per resource
 * (tenancy, runs and the token endpoint, API keys, signing keys with discovery and JWKS, audit). Admin
 * routes declare a scope that one `onRequest` hook checks before the body is read. `keyless serve`
 * listens on it; `keyless dev` can mount it; another component (the AWS emulator) can be registered
 * beside it.
 */
export async function buildIssuerApp(options: IssuerAppOptions): Promise<FastifyInstance> {
  const service = options.service;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    // One line per request, not Fastify's two (server/request-log.ts).
    logController: new OneLineRequestLog(),
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key } } : {}),
    // Admin JSON bodies; the token endpoint is a GET.
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // Refusals the router makes before any handler (a path parameter over 100 characters, a malformed
    // URL encoding) answer in the API's problem shape too, not Fastify's own JSON.
    frameworkErrors: (error, _req, reply) =>
      sendProblem(reply, problem("bad-request", error.message), undefined, error.statusCode ?? 400),
  });

  app.setErrorHandler((error, req, reply) => {
    if (error instanceof IssuerProblem) return sendProblem(reply, error, req.url.split("?")[0]);
    if (error instanceof DatabaseUnavailableError) {
      // An outage, not a bug: the client may retry (RFC 9110 section 10.2.3, https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3,
      // https://www.rfc-editor.org/rfc/rfc9110#name-retry-after); the driver's words stay in the log.
      req.log.warn({ err: error.cause }, "database unavailable");
      reply.header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
      return sendProblem(
        reply,
        problem("database-unavailable", "the database cannot be reached for now; retry later"),
        req.url.split("?")[0],
      );
    }
    if (error instanceof ZodError) return sendProblem(reply, problem("bad-request", error.message));
    const e = error as { statusCode?: number; message?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own refusals: malformed JSON, wrong content type, body too large.
      return sendProblem(reply, problem("bad-request", e.message ?? "bad request"), undefined, e.statusCode);
    }
    // The detail stays generic: internals (SQL, paths) are for the log, not the caller.
    req.log.error({ err: error }, "unexpected error");
    return sendProblem(reply, problem("internal", "internal error; see the server log"));
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem("not-found", `no route ${req.method} ${req.url.split("?")[0]}`)),
  );

  // Authentication and scope, from the route's declaration, before Fastify reads the body (the
  // onRequest phase precedes parsing: https://fastify.dev/docs/latest/Reference/Lifecycle/).
  app.decorateRequest("actor", null);
  app.addHook("onRequest", authorizeAdminRequest(service.apiKeys, service.tenancy));
  // After authentication: the admin budget is per authenticated key.
  if (options.rateLimits) await addRateLimits(app, options.rateLimits);
  const admin: RegisteredAdminRoute[] = [];
  registered.set(app, admin);
  app.addHook("onRoute", (route) => {
    if (!route.url.startsWith(ADMIN_PREFIX)) return;
    const scope = route.config?.scope;
    // Fail closed: an admin route that declares no scope would skip authentication.
    if (!scope) throw new Error(`admin route ${String(route.method)} ${route.url} declares no scope`);
    for (const method of [route.method].flat()) {
      if (method !== "HEAD")
        admin.push({ method: method as RegisteredAdminRoute["method"], url: route.url, scope });
    }
  });

  // Before the routes: a hook added after a plugin loaded would miss its routes.
  if (options.metrics) instrumentIssuerApp(app, options.metrics.registry, options.metrics.clustered);
  const wellKnownMaxAgeSeconds = options.wellKnownMaxAgeSeconds ?? 300;
  await app.register(signingKeysApi, { service, wellKnownMaxAgeSeconds });
  await app.register(tenancyApi, { service });
  await app.register(runsApi, { service, metrics: options.metrics?.registry });
  await app.register(apiKeysApi, { service });
  await app.register(auditApi, { service });
  await app.register(healthApi, { service });
  return app;
}
