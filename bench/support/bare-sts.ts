/**
 * The physical ceiling for bench:emulator: a bare `node:http` server with `WORKERS` node:cluster workers
 * (the emulator's own process model) that reads a POST body to its end and answers 200 with a fixed
 * `AssumeRoleWithWebIdentityResponse`-sized XML document. No parsing, no token, no policy, no signing:
 * what any Node server on the same cores could at best reach for a request and answer of this shape.
 *
 *   node dist/bench/support/bare-sts.js PORT WORKERS BYTES   (prints "listening on PORT" once every worker is up)
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import { runClusterPrimary } from "./cluster-primary.js";

const port = Number(process.argv[2] ?? 0);
const workers = Number(process.argv[3] ?? 2);
const bytes = Number(process.argv[4] ?? 1500);

if (cluster.isPrimary) {
  runClusterPrimary(port, workers);
} else {
  const head = '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">';
  const tail = "</AssumeRoleWithWebIdentityResponse>";
  const answer = Buffer.from(head + "x".repeat(Math.max(0, bytes - head.length - tail.length)) + tail);
  const server = createServer((req, res) => {
    let size = 0;
    req.on("data", (d: Buffer) => {
      size += d.length;
    });
    req.on("end", () => {
      res.writeHead(size > 0 ? 200 : 400, {
        "content-type": "text/xml",
        "content-length": answer.length,
        "x-amzn-requestid": "00000000-0000-0000-0000-000000000000",
      });
      res.end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, "127.0.0.1");
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
