import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { httpGet } from "../../../src/lib/http-get.js";
import { makeTestTls, type TestTls } from "../../support/tls.js";
import { tempDir } from "../../support/tmp.js";

const listener: RequestListener = (req, res) => {
  if (req.url === "/big") {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(Buffer.alloc(3 * 1024 * 1024, 120));
    return;
  }
  res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "application/json" });
  res.end(JSON.stringify({ accept: req.headers.accept ?? null }));
};

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(String((server.address() as AddressInfo).port))),
  );

describe("httpGet", () => {
  const dir = tempDir();
  let tls: TestTls;
  let plain: Server;
  let secure: Server;
  let plainUrl: string;
  let secureUrl: string;
  before(async () => {
    tls = await makeTestTls(dir.path);
    plain = createHttpServer(listener);
    secure = createHttpsServer(
      { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
      listener,
    );
    plainUrl = `http://127.0.0.1:${await listen(plain)}`;
    secureUrl = `https://127.0.0.1:${await listen(secure)}`;
  });
  after(() => {
    plain.close();
    secure.close();
    dir.cleanup();
  });

  test("answers any status with the body, content type and the headers it was given", async () => {
    const ok = await httpGet(`${plainUrl}/`, { headers: { accept: "application/json" } });
    assert.equal(ok.status, 200);
    assert.equal(ok.contentType, "application/json");
    assert.deepEqual(JSON.parse(ok.body), { accept: "application/json" });
    assert.equal((await httpGet(`${plainUrl}/missing`)).status, 404);
  });

  test("a body over the cap is refused with ERR_RESPONSE_TOO_LARGE", async () => {
    await assert.rejects(httpGet(`${plainUrl}/big`), { code: "ERR_RESPONSE_TOO_LARGE" });
    await assert.rejects(httpGet(`${plainUrl}/`, { maxBytes: 4 }), { code: "ERR_RESPONSE_TOO_LARGE" });
    assert.equal(
      (await httpGet(`${plainUrl}/big`, { maxBytes: 4 * 1024 * 1024 })).body.length,
      3 * 1024 * 1024,
    );
  });

  test("HTTPS: a private CA is refused until given, and is added to the public roots", async () => {
    await assert.rejects(httpGet(`${secureUrl}/`), (e: NodeJS.ErrnoException) =>
      /CERT|SIGNATURE|ISSUER/.test(e.code ?? ""),
    );
    assert.equal((await httpGet(`${secureUrl}/`, { ca: tls.ca })).status, 200);
  });

  test("HTTPS without verification hands over the served certificate for the caller to judge", async () => {
    const answer = await httpGet(`${secureUrl}/`, { rejectUnauthorized: false });
    assert.equal(answer.status, 200);
    const served = createHash("sha1").update(answer.peerCertificate!.raw).digest("hex");
    const pem = readFileSync(tls.certFile, "utf8").replace(/-----[^-]+-----|\s/g, "");
    assert.equal(served, createHash("sha1").update(Buffer.from(pem, "base64")).digest("hex"));
  });

  test("a closed port is an error with the system's code", async () => {
    const closed = createHttpServer();
    const port = await listen(closed);
    await new Promise((r) => closed.close(r));
    await assert.rejects(httpGet(`http://127.0.0.1:${port}/`), { code: "ECONNREFUSED" });
  });
});
