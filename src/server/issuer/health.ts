import type { FastifyPluginAsync } from "fastify";
import type { IssuerService } from "../../issuer/service.js";

/**
 * Probes for orchestrators (Kubernetes liveness and readiness probes,
 * https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/),
 * public and never cached:
 * - `GET /healthz`: the process is up and answering; always 200 (restarting it would not bring the
 *   database back, so the database is not consulted).
 * - `GET /readyz`: 200 `{ status: "ready", kid }` when the database answers and a signing key is active
 *   (hence published); otherwise a 503 problem, `database-unavailable` (with `Retry-After`) or
 *   `no-signing-key`, rendered by the app's error handler.
 */
export const healthApi: FastifyPluginAsync<{ service: IssuerService }> = async (app, { service }) => {
  app.get("/healthz", async (_req, reply) => {
    reply.header("cache-control", "no-store");
    return { status: "up" };
  });
  app.get("/readyz", async (_req, reply) => {
    const key = await service.signingKeys.ready();
    reply.header("cache-control", "no-store");
    return { status: "ready", kid: key.kid };
  });
};
