/**
 * The framework's ceiling for bench:issuer: a bare Fastify app (same Fastify, no logger, no hooks) with
 * `WORKERS` node:cluster workers answering `GET /runs/:run/token` the way the token endpoint is shaped: a
 * bearer header is required (401 without one), the answer is a small JSON object with `no-store`. No store,
 * no claims, no signing: what `keyless serve --workers N` could at best reach on the same cores.
 *
 *   node dist/bench/support/empty-route.js PORT WORKERS   (prints "listening on PORT" once every worker is up)
 */
import cluster from "node:cluster";
import Fastify from "fastify";
import { runClusterPrimary } from "./cluster-primary.js";

const port = Number(process.argv[2] ?? 0);
const workers = Number(process.argv[3] ?? 2);

if (cluster.isPrimary) {
  runClusterPrimary(port, workers);
} else {
  const app = Fastify({ logger: false });
  app.get<{ Params: { run: string } }>("/runs/:run/token", async (req, reply) => {
    const h = req.headers.authorization;
    if (!h || !/^bearer\s+\S+\s*$/i.test(h)) return reply.code(401).send({ error: "unauthorized" });
    reply.header("cache-control", "no-store");
    return { value: req.params.run };
  });
  await app.listen({ host: "127.0.0.1", port });
  process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
}
