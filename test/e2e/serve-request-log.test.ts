import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { freePort } from "../support/ports.js";
import { type ServeProcess, startServe } from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

/**
 * `keyless serve` writes its log through a buffered stderr (pino's asynchronous destination, flushed on
 * exit: server/logger.ts). A graceful stop must lose no line: every request answered before SIGTERM has
 * its one `request completed` line in what the process wrote, from both workers.
 */
describe("serve's buffered log across a graceful stop", () => {
  const dir = tempDir();
  let server: ServeProcess | undefined;
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test("--workers 2 at info: SIGTERM right after 400 requests, 400 request lines", async () => {
    const port = await freePort();
    server = await startServe(["--port", String(port), "--workers", "2", "--log-level", "info"], {
      PATH: process.env.PATH,
      HOME: dir.path,
      KEYLESS_DATA_DIR: join(dir.path, "data"),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const get = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `http://127.0.0.1:${port}/.well-known/openid-configuration?n=${i}`,
          { agent },
          (res) => {
            res.resume().on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end();
      });
    const statuses = await Promise.all(Array.from({ length: 400 }, (_, i) => get(i)));
    agent.destroy();
    assert.ok(
      statuses.every((s) => s === 200),
      JSON.stringify(statuses.filter((s) => s !== 200)),
    );
    const child = server.child;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    // The pipe may still hold the last bytes when 'exit' fires; 'close' waits for the streams.
    if (child.stderr && !child.stderr.closed) await new Promise((r) => child.stderr!.once("close", r));
    const lines = server
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg?: string; pid?: number; req?: { url?: string } });
    const logged = new Set(
      lines
        .filter((l) => l.msg === "request completed" && l.req?.url?.startsWith("/.well-known/"))
        .map((l) => l.req!.url),
    );
    assert.equal(logged.size, 400, `${logged.size} of 400 requests logged`);
    const pids = new Set(lines.filter((l) => l.msg === "request completed").map((l) => l.pid));
    assert.equal(pids.size, 2, "both workers logged requests");
  });
});
