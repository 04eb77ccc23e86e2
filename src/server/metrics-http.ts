import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { problem } from "../issuer/errors.js";
import { sendProblem } from "./issuer/http.js";
import { EXPOSITION_CONTENT_TYPE, exposition, isLoopback, type Metrics } from "./metrics.js";

const REFUSED = "GET /metrics is answered on the loopback interface only; see docs/operations.md";

/**
 * Instruments the issuer's app: one `onResponse` hook feeds the latency histograms (Fastify's own
 * `reply.elapsedTime`, https://fastify.dev/docs/latest/Reference/Reply/#elapsedtime), and `GET /metrics`
 * serves the exposition text to loopback peers (403 problem otherwise).
 */
export function instrumentIssuerApp(app: FastifyInstance, metrics: Metrics, clustered: boolean): void {
  app.addHook("onResponse", (req, reply, done) => {
    metrics.response(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get("/metrics", async (req, reply) => {
    if (!isLoopback(req.socket.remoteAddress)) return sendProblem(reply, problem("forbidden", REFUSED));
    const text = await exposition(metrics, clustered);
    return reply
      .header("content-type", EXPOSITION_CONTENT_TYPE)
      .header("cache-control", "no-store")
      .send(text);
  });
}

/**
 * For the standalone emulator (node:http): answers `GET /metrics` itself and passes every other request
 * to `listener`. The AWS Query protocol never uses that path (it posts to `/` or reads `/?Action=`).
 */
export function withMetricsEndpoint(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  metrics: Metrics,
  clustered: boolean,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.url !== "/metrics" || req.method !== "GET") return listener(req, res);
    if (!isLoopback(req.socket.remoteAddress)) {
      res.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end(`${REFUSED}\n`);
      return;
    }
    exposition(metrics, clustered).then(
      (text) =>
        res
          .writeHead(200, { "content-type": EXPOSITION_CONTENT_TYPE, "cache-control": "no-store" })
          .end(text),
      (e: Error) => res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`${e.message}\n`),
    );
  };
}
