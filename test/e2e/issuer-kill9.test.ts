import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, type TestContext, test } from "node:test";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from "jose";
import { type KeyState, TRANSITIONS } from "../../src/issuer/key-lifecycle.js";
import { runKeyless } from "../support/cli.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import {
  callOnOwnConnection as call,
  childPids,
  mintAuditRows,
  type ServeProcess,
  startSeededServe,
  startServeIn,
} from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

// `keyless serve` killed with SIGKILL while it mints and while it rotates, then restarted on the same
// data directory, in three set-ups: one process on SQLite, one process on PostgreSQL (KEYLESS_DATABASE),
// and `--workers 2` on SQLite (the primary and both workers killed at once, as a host crash or the OOM
// killer of a cgroup does), plus a single worker killed under load (the supervisor replaces it).
// After each restart three invariants must hold:
//  (a) every token a client received with a 200 has its audit row: no unaudited mint;
//  (b) the JWKS served after the restart verifies every token issued that is still valid (its kid is
//      published), so AWS (which accepts a token until exp + 5 min,
//      https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html) still can;
//  (c) the key lifecycle only moves forward (`keyless keys list --json` before the kill and after the
//      restart): a superseded, retiring or retired key never becomes pending or active again.
// Loops are bounded by counts, and the kill is triggered by a count of answers, never by a timer.

interface Stack {
  /** The set-up's own variables (database, workers) on top of PATH, HOME and KEYLESS_DATA_DIR. */
  env: NodeJS.ProcessEnv;
  dataDir: string;
  home: string;
  port: number;
  base: string;
  admin: string;
  org: string;
  mintPath: string;
  requestToken: string;
}

/** The set-up's server again, on its port and data directory (after a kill). */
const serve = (s: Stack): Promise<ServeProcess> =>
  startServeIn(s.home, s.port, ["--log-level", "warn"], s.env);

async function setUp(dir: string, extra: NodeJS.ProcessEnv): Promise<{ stack: Stack; server: ServeProcess }> {
  const started = await startSeededServe(dir, ["--log-level", "warn"], extra);
  return {
    server: started.server,
    stack: {
      env: extra,
      dataDir: join(dir, "data"),
      home: dir,
      port: started.port,
      base: started.base,
      admin: started.admin,
      org: started.orgId,
      mintPath: started.tokenPath,
      requestToken: started.requestToken,
    },
  };
}

const claimsOf = (token: string): { jti: string; exp: number; iss: string } =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * SIGKILL to the server and its workers at once, and wait until all are gone (port and SQLite handles
 * released). Waiting for the workers is bounded by a count of checks, each after a short pause.
 */
async function kill9(server: ServeProcess, expectedWorkers: number): Promise<void> {
  const pid = server.child.pid!;
  const workers = childPids(pid);
  assert.equal(workers.length, expectedWorkers, "the server runs the workers the set-up asked for");
  await new Promise<void>((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
    server.child.once("exit", () => resolve());
    for (const w of workers) if (alive(w)) process.kill(w, "SIGKILL");
    server.child.kill("SIGKILL");
  });
  for (let i = 0; i < 200 && workers.some(alive); i++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(workers.filter(alive), [], "every worker is gone after SIGKILL");
}

interface KeyRow {
  kid: string;
  state: KeyState;
}

async function keysList(s: Stack): Promise<KeyRow[]> {
  const r = await runKeyless(["keys", "list", "--json", "--data-dir", s.dataDir], {
    env: { PATH: process.env.PATH, HOME: s.home, ...s.env, KEYLESS_WORKERS: undefined },
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The states reachable from `from` in zero or more transitions of the lifecycle table. */
function reachable(from: KeyState): Set<KeyState> {
  const seen = new Set<KeyState>([from]);
  const todo: KeyState[] = [from];
  while (todo.length) {
    for (const next of TRANSITIONS[todo.pop()!] as readonly KeyState[]) {
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen;
}

/** (c): no key moved backwards, none vanished, at most one signs. */
function assertForwardOnly(before: KeyRow[], afterRows: KeyRow[], when: string): void {
  const now = new Map(afterRows.map((k) => [k.kid, k.state]));
  for (const k of before) {
    const state = now.get(k.kid);
    assert.ok(state, `${when}: key ${k.kid} (${k.state}) disappeared from keys list`);
    assert.ok(reachable(k.state).has(state), `${when}: key ${k.kid} went from ${k.state} to ${state}`);
  }
  const active = afterRows.filter((k) => k.state === "active");
  assert.equal(active.length, 1, `${when}: exactly one active key: ${JSON.stringify(afterRows)}`);
}

/** (a) and (b), on a freshly restarted server. */
async function assertAuditAndJwks(s: Stack, tokens: string[], when: string): Promise<void> {
  const rows = await mintAuditRows(s.base, s.org, s.admin);
  assert.ok(rows.length < 1000, "the audit page holds every row (the test stays under the page size)");
  const audited = new Set(rows.map((e) => e.details.jti));
  const missing = tokens.map((t) => claimsOf(t).jti).filter((j) => !audited.has(j));
  assert.deepEqual(
    missing,
    [],
    `${when}: ${missing.length} of ${tokens.length} tokens answered 200 have no audit row`,
  );

  const jwks = (await call(s.base, "GET", "/.well-known/jwks.json", s.admin)).json as JSONWebKeySet;
  const published = new Set(jwks.keys.map((k) => k.kid));
  const keySet = createLocalJWKSet(jwks);
  const nowS = Date.now() / 1000;
  let checked = 0;
  for (const t of tokens) {
    if (claimsOf(t).exp <= nowS) continue; // only tokens still valid must stay verifiable
    const { kid } = decodeProtectedHeader(t);
    assert.ok(published.has(kid), `${when}: kid ${kid} of a valid token is missing from the JWKS`);
    await compactVerify(t, keySet); // throws when the published key does not verify it
    checked++;
  }
  assert.ok(checked > 0, "some tokens were checked against the JWKS");
}

/**
 * `loops` concurrent mint loops of at most `perLoop` attempts each; when the `killAt`-th 200 arrives,
 * `onCount` runs (the kill), with the other loops' requests in flight. Collects every token answered 200.
 */
async function mintUntil(
  s: Stack,
  tokens: string[],
  killAt: number,
  onCount: () => void,
  opts = { loops: 4, perLoop: 400 },
): Promise<{ ok: number; failed: number; lastRefusal: string }> {
  let ok = 0;
  let failed = 0;
  let lastRefusal = "";
  let stop = false;
  const loop = async () => {
    for (let i = 0; i < opts.perLoop && !stop; i++) {
      try {
        const m = await call(s.base, "GET", s.mintPath, s.requestToken);
        if (m.status === 200) {
          tokens.push(m.json.value);
          ok++;
          if (ok === killAt) onCount();
        } else {
          failed++;
          lastRefusal = `${m.status} ${JSON.stringify(m.json)}`;
        }
      } catch {
        failed++; // reset or refused: the server is gone
        stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.loops }, loop));
  return { ok, failed, lastRefusal };
}

/** A set-up the kill tests run in: its variables for `keyless serve`, or undefined when it must skip. */
interface Variant {
  env(t: TestContext): Promise<NodeJS.ProcessEnv | undefined>;
  /** Cluster workers under the server process (0: one process). */
  workers?: number;
  close?(): void;
}

function killTests(variant: Variant): void {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const servers: ServeProcess[] = [];
  after(async () => {
    // stop() waits for an exit that a process already killed here has had: skip those.
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) await s.stop();
    for (const d of dirs) d.cleanup();
    variant.close?.();
  });
  /** The test's own directory and a seeded server in the variant's set-up; undefined when it skips. */
  const begin = async (t: TestContext) => {
    const dir = tempDir();
    dirs.push(dir);
    const env = await variant.env(t);
    if (!env) return undefined;
    const set = await setUp(dir.path, env);
    servers.push(set.server);
    return set;
  };
  /** The stack's server started again (after a kill), stopped at the end if still up. */
  const restart = async (stack: Stack) => {
    const server = await serve(stack);
    servers.push(server);
    return server;
  };

  test("kill -9 during minting, three times: every 200 has its audit row, the JWKS still verifies every valid token, no key moves backwards", async (t) => {
    const set = await begin(t);
    if (!set) return;
    const { stack } = set;
    let current = set.server;
    const tokens: string[] = [];
    for (let round = 1; round <= 3; round++) {
      const before = await keysList(stack);
      const victim = current;
      const killed = kill9Later(victim, variant.workers ?? 0);
      const r = await mintUntil(stack, tokens, 25, killed.fire);
      killed.fire(); // in case the count was never reached (then the assertion below says so)
      await killed.done;
      assert.ok(r.ok >= 25, `round ${round}: ${r.ok} minted before the kill; last refusal ${r.lastRefusal}`);
      assert.equal(victim.child.signalCode, "SIGKILL");

      current = await restart(stack);
      await assertAuditAndJwks(stack, tokens, `after kill ${round}`);
      assertForwardOnly(before, await keysList(stack), `after kill ${round}`);
    }
    // The restarted server mints again, with the same guarantees.
    const last = await call(stack.base, "GET", stack.mintPath, stack.requestToken);
    assert.equal(last.status, 200);
    tokens.push(last.json.value);
    await assertAuditAndJwks(stack, tokens, "at the end");
  });

  test("kill -9 during rotation (rotate --immediate and retire under a mint loop), three times: the lifecycle never revives a key, the JWKS still verifies every valid token, every 200 is audited", async (t) => {
    const set = await begin(t);
    if (!set) return;
    const { stack } = set;
    let current = set.server;
    const tokens: string[] = [];
    for (let round = 1; round <= 3; round++) {
      const before = await keysList(stack);
      const victim = current;
      const killed = kill9Later(victim, variant.workers ?? 0);
      let rotations = 0;
      let stopRotating = false;
      // Rotation loop: rotate at once (the new key signs now, the old one is superseded), then retire the
      // oldest superseded key, so every lifecycle write is in flight at some point. The kill fires on the
      // third rotation's answer, with the next rotation and the mint loop's requests in flight.
      const rotate = async () => {
        for (let i = 0; i < 20 && !stopRotating; i++) {
          try {
            const r = await call(stack.base, "POST", "/api/v1/signing-keys/rotate", stack.admin, {
              immediate: true,
            });
            assert.equal(r.status, 201, JSON.stringify(r.json));
            rotations++;
            if (rotations === 3) killed.fire();
            const list = await call(stack.base, "GET", "/api/v1/signing-keys", stack.admin);
            const superseded = (list.json.signingKeys as KeyRow[]).find((k) => k.state === "superseded");
            if (superseded) {
              const ret = await call(
                stack.base,
                "POST",
                `/api/v1/signing-keys/${encodeURIComponent(superseded.kid)}/retire`,
                stack.admin,
              );
              assert.equal(ret.status, 200, JSON.stringify(ret.json));
            }
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
            stopRotating = true; // the server is gone
          }
        }
      };
      const [minted] = await Promise.all([
        mintUntil(stack, tokens, Number.POSITIVE_INFINITY, () => {}, { loops: 3, perLoop: 80 }),
        rotate(),
      ]);
      killed.fire(); // in case the count was never reached (then the assertion below says so)
      await killed.done;
      assert.ok(rotations >= 3, `round ${round}: ${rotations} rotations answered`);
      assert.ok(minted.ok > 0, `round ${round}: tokens minted while rotating`);
      assert.equal(victim.child.signalCode, "SIGKILL");

      current = await restart(stack);
      const afterRows = await keysList(stack);
      assertForwardOnly(before, afterRows, `after kill ${round}`);
      await assertAuditAndJwks(stack, tokens, `after kill ${round}`);
      // The key that signs after the restart is published, and a new token verifies against the JWKS.
      const fresh = await call(stack.base, "GET", stack.mintPath, stack.requestToken);
      assert.equal(fresh.status, 200);
      tokens.push(fresh.json.value);
      const active = afterRows.find((k) => k.state === "active")!;
      assert.equal(decodeProtectedHeader(fresh.json.value).kid, active.kid, "signs with the active key");
      await assertAuditAndJwks(stack, tokens, `after kill ${round}, new mint`);
    }
  });
}

describe("keyless serve killed with SIGKILL (SQLite data directory)", () => {
  killTests({ env: async () => ({}) });
});

describe("keyless serve killed with SIGKILL (PostgreSQL)", () => {
  // A server of its own for each test, so each starts from an empty database.
  const databases: TestPostgres[] = [];
  killTests({
    env: async (t) => {
      const pg = await startPostgres();
      if (!pg) {
        t.skip("PostgreSQL binaries are not installed");
        return undefined;
      }
      databases.push(pg);
      return { KEYLESS_DATABASE: pg.url };
    },
    close: () => {
      for (const pg of databases) pg.stop();
    },
  });
});

describe("keyless serve --workers 2 killed with SIGKILL, primary and workers together (SQLite data directory)", () => {
  killTests({ env: async () => ({ KEYLESS_WORKERS: "2" }), workers: 2 });
});

describe("keyless serve --workers 2, one worker killed with SIGKILL under load (SQLite data directory)", () => {
  const dir = tempDir();
  let server: ServeProcess | undefined;
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test("the supervisor replaces it; every 200 has its audit row, the JWKS verifies every valid token, minting goes on", async () => {
    const set = await setUp(dir.path, { KEYLESS_WORKERS: "2" });
    server = set.server;
    const { stack } = set;
    const primary = server.child.pid!;
    const before = await keysList(stack);
    const workers = childPids(primary);
    assert.equal(workers.length, 2);
    const tokens: string[] = [];
    const r = await mintUntil(stack, tokens, 25, () => process.kill(workers[0]!, "SIGKILL"), {
      loops: 4,
      perLoop: 100,
    });
    assert.ok(r.ok >= 25, `${r.ok} minted; last refusal ${r.lastRefusal}`);
    // The replacement comes up (bounded by a count of checks); the primary never went down.
    let now = childPids(primary);
    for (let i = 0; i < 400 && (now.length < 2 || now.includes(workers[0]!)); i++) {
      await new Promise((res) => setTimeout(res, 25));
      now = childPids(primary);
    }
    assert.equal(server.child.exitCode, null, server.stderr());
    assert.ok(!now.includes(workers[0]!), "the killed worker is gone");
    assert.equal(now.length, 2, "a replacement worker is running");
    const more = await mintUntil(stack, tokens, Number.POSITIVE_INFINITY, () => {}, {
      loops: 2,
      perLoop: 10,
    });
    assert.equal(
      more.ok,
      20,
      `after the replacement every mint answers 200 (last refusal ${more.lastRefusal})`,
    );
    await assertAuditAndJwks(stack, tokens, "after the worker kill");
    assertForwardOnly(before, await keysList(stack), "after the worker kill");
  });
});

/** A SIGKILL fired by a count (not a timer): `fire` sends it once; `done` resolves when the process is gone. */
function kill9Later(server: ServeProcess, workers: number): { fire: () => void; done: Promise<void> } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fire, done: fired.then(() => kill9(server, workers)) };
}
