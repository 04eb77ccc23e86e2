import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createIdpKeySource, type IdpKeySource } from "../../../src/aws/sts/idp-keys.js";
import { AwsError } from "../../../src/aws/wire/errors.js";
import { manualClock } from "../../../src/lib/clock.js";
import { startTestIssuer, type TestIssuer } from "../../support/oidc-issuer.js";
import { tempDir } from "../../support/tmp.js";

/**
 * The emulator's key source while the identity provider is blackholed (connections accepted, never
 * answered: a dead load balancer or a dropped route), as STS behaves
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html: an
 * unreachable provider is IDPCommunicationError, which clients retry). The provider is the test OIDC
 * issuer behind a TCP relay that the test switches between forwarding and blackholing; the clock is
 * manual, and every assertion counts connections, never time.
 */
const ISSUER = "https://idp.example.com";
const TTL = 60_000;
const MIN_REFRESH = 5_000;
const MIN_BACKOFF = 1_000;
const MAX_BACKOFF = 4_000;

describe("IdP keys during a blackholed-issuer outage", () => {
  const dir = tempDir();
  let issuer: TestIssuer;
  let relay: Server;
  let mode: "forward" | "blackhole" = "forward";
  const held: Socket[] = [];
  let blackholed = 0;
  let forwarded = 0;
  const clock = manualClock(1_700_000_000_000);
  let source: IdpKeySource;

  before(async () => {
    issuer = await startTestIssuer(join(dir.path, "ca"), { issuer: ISSUER });
    relay = createServer((socket) => {
      held.push(socket); // destroyed at the end: close() waits for every open connection
      socket.on("error", () => {});
      if (mode === "blackhole") {
        blackholed++;
        return;
      }
      forwarded++;
      const upstream = connect(issuer.port, "127.0.0.1");
      held.push(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    });
    await new Promise<void>((ok) => relay.listen(0, "127.0.0.1", () => ok()));
    const address = relay.address();
    const port = typeof address === "object" && address ? address.port : 0;
    source = createIdpKeySource({
      trustedCas: [readFileSync(issuer.caFile, "utf8")],
      aliases: new Map([["idp.example.com", `https://127.0.0.1:${port}`]]),
      clock,
      ttlMs: TTL,
      minRefreshMs: MIN_REFRESH,
      timeoutMs: 300,
      minBackoffMs: MIN_BACKOFF,
      maxBackoffMs: MAX_BACKOFF,
    });
  });
  after(async () => {
    for (const s of held) s.destroy();
    await new Promise<void>((ok) => (relay ? relay.close(() => ok()) : ok()));
    await issuer?.close();
    dir.cleanup();
  });

  const kids = async (refresh: boolean) => (await source.keys(ISSUER, [], refresh)).map((k) => k.kid);
  const unreachable = (e: unknown) => e instanceof AwsError && e.code === "IDPCommunicationError";

  test("cached keys carry verification through the outage until the TTL; then one fetch per burst and per back-off, IDPCommunicationError, and recovery", async () => {
    assert.deepEqual(await kids(false), ["rsa-1", "ec-1"]);
    assert.ok(forwarded > 0, "the first fetch went through the relay");

    mode = "blackhole";
    // Within the TTL: the cached keys, no connection at all.
    clock.advance(1_000);
    assert.deepEqual(await kids(false), ["rsa-1", "ec-1"]);
    // An unknown kid within the minimum refresh interval: still no connection.
    assert.deepEqual(await kids(true), ["rsa-1", "ec-1"]);
    assert.equal(blackholed, 0);

    // After the interval an unknown kid refetches once: the fetch times out, unreachable.
    clock.advance(MIN_REFRESH);
    await assert.rejects(kids(true), unreachable);
    assert.equal(blackholed, 1);
    // The failed refetch did not drop the cached keys: tokens with known kids still verify, offline.
    assert.deepEqual(await kids(false), ["rsa-1", "ec-1"]);
    // Another unknown kid right after: the failure again (retryable), not the cached keys, no connection;
    // still so once the back-off is over, while the minimum refresh interval since that attempt runs.
    await assert.rejects(kids(true), unreachable);
    clock.advance(MIN_BACKOFF);
    await assert.rejects(kids(true), unreachable);
    assert.equal(blackholed, 1);

    // Past the TTL: a burst of five concurrent requests shares one fetch (one connection), all unreachable.
    clock.advance(TTL);
    const burst = await Promise.allSettled(Array.from({ length: 5 }, () => kids(false)));
    assert.ok(burst.every((r) => r.status === "rejected" && unreachable(r.reason)));
    assert.equal(blackholed, 2, "one connection for the whole burst");

    // Back-off: the second failure in a row waits 2 s, the third 4 s, then the cap (4 s here). Within
    // it, requests get the remembered error at once, without a connection; after it, one attempt.
    for (const [wait, connections] of [
      [2 * MIN_BACKOFF, 3],
      [4 * MIN_BACKOFF, 4],
      [MAX_BACKOFF, 5],
    ] as const) {
      await assert.rejects(kids(false), unreachable);
      clock.advance(wait - 1);
      await assert.rejects(kids(false), unreachable);
      assert.equal(blackholed, connections - 1, `no connection within the ${wait} ms back-off`);
      clock.advance(1);
      await assert.rejects(kids(false), unreachable);
      assert.equal(blackholed, connections, `one attempt once the ${wait} ms back-off is over`);
    }

    // The issuer is back: within the back-off the error still stands (no connection); after it the
    // next request fetches and succeeds, with the keys served now.
    mode = "forward";
    const before = forwarded;
    await issuer.addKey("rsa-2");
    await assert.rejects(kids(false), unreachable);
    assert.equal(forwarded, before);
    clock.advance(MAX_BACKOFF);
    assert.deepEqual(await kids(false), ["rsa-1", "ec-1", "rsa-2"]);
    assert.ok(forwarded > before);
    assert.equal(blackholed, 5);

    // A success resets the back-off: the next outage starts again at 1 s.
    mode = "blackhole";
    clock.advance(TTL);
    await assert.rejects(kids(false), unreachable);
    assert.equal(blackholed, 6);
    clock.advance(MIN_BACKOFF);
    await assert.rejects(kids(false), unreachable);
    assert.equal(blackholed, 7);
  });
});
