import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { freePort } from "../support/ports.js";
import {
  callOnOwnConnection as call,
  childPids,
  mintAuditRows,
  type ServeProcess,
  startSeededServe,
  startServeIn,
} from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

// `keyless serve --workers N` under faults, with real processes: a worker killed with SIGKILL is
// replaced, a pool whose workers keep dying makes the primary exit non-zero (so systemd's
// Restart=on-failure restarts it), and SIGTERM drains: every token answered 200 has its audit row.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface Pool {
  server: ServeProcess;
  base: string;
  org: string;
  admin: string;
  mintPath: string;
  requestToken: string;
}

// No request budgets: these tests mint hundreds of tokens for one run (limits: rate-limits.test.ts).
const POOL_ARGS = [
  "--workers",
  "2",
  "--log-level",
  "warn",
  "--token-rate-limit-per-run",
  "0",
  "--token-rate-limit-per-address",
  "0",
];

async function pool(dir: string): Promise<Pool> {
  const s = await startSeededServe(dir, POOL_ARGS);
  return {
    server: s.server,
    base: s.base,
    org: s.orgId,
    admin: s.admin,
    mintPath: s.tokenPath,
    requestToken: s.requestToken,
  };
}

const jtiOf = (token: string): string =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).jti;

const auditRows = (p: { base: string; org: string; admin: string }) => mintAuditRows(p.base, p.org, p.admin);

describe("keyless serve --workers 2 under faults", () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const servers: ServeProcess[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) d.cleanup();
  });

  test("mints spread over both workers (audit rows name the worker's pid); a worker killed with SIGKILL is replaced and minting keeps succeeding", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const p = await pool(dir.path);
    servers.push(p.server);
    const mint = () => call(p.base, "GET", p.mintPath, p.requestToken);

    const first = await Promise.all(Array.from({ length: 40 }, mint));
    assert.ok(first.every((m) => m.status === 200));
    const workers = childPids(p.server.child.pid!);
    assert.equal(workers.length, 2, `two workers: ${workers}`);
    let rows = await auditRows(p);
    assert.equal(rows.length, 40);
    const pids = new Set(rows.map((r) => r.details.workerPid));
    assert.deepEqual([...pids].sort(), [...workers].sort(), "both workers minted, each row names one");

    const victim = workers[0]!;
    process.kill(victim, "SIGKILL");
    // Once the primary has seen the death. (A connection the primary hands to a worker in the instant
    // it is killed is lost with it, as a request in progress there is: node:cluster cannot take it back.)
    await waitFor("the primary to see the death", () =>
      /worker exited; replacing it/.test(p.server.stderr()) ? true : undefined,
    );
    // Requests keep succeeding while the victim is gone and after its replacement is up.
    let minted = 40;
    const replacement = await waitFor("a replacement worker", async () => {
      const m = await mint();
      assert.equal(m.status, 200, JSON.stringify(m.json));
      minted++;
      const now = childPids(p.server.child.pid!);
      return now.length === 2 && !now.includes(victim) ? now.find((x) => x !== workers[1]) : undefined;
    });
    // The replacement serves too, once it listens (connections are handed round-robin to listening workers).
    await waitFor("a mint by the replacement", async () => {
      const batch = await Promise.all(Array.from({ length: 10 }, mint));
      assert.ok(batch.every((m) => m.status === 200));
      minted += 10;
      return (await auditRows(p)).some((r) => r.details.workerPid === replacement) ? true : undefined;
    });
    rows = await auditRows(p);
    assert.equal(rows.length, minted, "every 200 has its audit row");
    assert.equal(p.server.child.exitCode, null, "the primary is still up");
  });

  test("workers killed again and again: the primary gives up and exits 3 (non-zero, for Restart=on-failure)", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const port = await freePort();
    const server = await startServeIn(dir.path, port, POOL_ARGS);
    servers.push(server);
    const exited = new Promise<number | null>((resolve) =>
      server.child.once("exit", (code) => resolve(code)),
    );
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    const killed = new Set<number>();
    // Default policy: more than 5 deaths within a minute. Kill each worker as it appears, bounded.
    for (let round = 0; round < 40 && !gone; round++) {
      for (const pid of childPids(server.child.pid!)) {
        if (killed.has(pid)) continue;
        killed.add(pid);
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await sleep(150);
    }
    assert.equal(await exited, 3, server.stderr());
    assert.ok(killed.size >= 6, `${killed.size} kills`);
    assert.match(server.stderr(), /giving up/);
  });

  test("SIGTERM under a mint loop: the primary exits 0 and, after a restart, every token answered 200 has its audit row", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const p = await pool(dir.path);
    const exited = new Promise<number | null>((resolve) =>
      p.server.child.once("exit", (code) => resolve(code)),
    );
    const ok: string[] = [];
    let refused = 0;
    let stopped = false;
    const loop = async () => {
      // Bounded: at most 150 attempts per loop, ending early once the server is gone.
      for (let i = 0; i < 150 && !stopped; i++) {
        try {
          const m = await call(p.base, "GET", p.mintPath, p.requestToken);
          if (m.status === 200) ok.push(jtiOf(m.json.value));
          else refused++;
        } catch {
          refused++; // connection refused or reset once the workers stopped listening
          stopped = true;
        }
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    await waitFor("mints before SIGTERM", () => (ok.length >= 30 ? true : undefined));
    p.server.child.kill("SIGTERM");
    assert.equal(await exited, 0, p.server.stderr());
    stopped = true;
    await Promise.all(loops);
    assert.ok(ok.length >= 30);

    const port = Number(new URL(p.base).port);
    const again = await startServeIn(dir.path, port, POOL_ARGS);
    servers.push(again);
    const rows = await auditRows({ ...p });
    const audited = new Set(rows.map((r) => r.details.jti));
    const missing = ok.filter((j) => !audited.has(j));
    assert.deepEqual(missing, [], `${ok.length} tokens answered 200, ${refused} refused`);
  });
});
