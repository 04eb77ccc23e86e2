import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  AWS_SKEW_MS,
  isTransition,
  type KeyState,
  type KeyTransition,
  KeyTransitionError,
  keyStatuses,
  publishedKeys,
  signingKey,
  TRANSITIONS,
  transition,
} from "../../../src/issuer/key-lifecycle.js";
import type { SigningKeyRecord } from "../../../src/issuer/model.js";
import { EXIT_STATUS } from "../../../src/lib/errors.js";
import { keyRecord as key } from "../../support/key-records.js";

const H = 3_600_000;
const STATES: KeyState[] = ["pending", "active", "superseded", "retiring", "retired"];
/** The table, written out independently of TRANSITIONS. */
const ALLOWED = new Set([
  "pending→active",
  "pending→retiring",
  "active→superseded",
  "active→retiring",
  "superseded→retiring",
  "superseded→retired",
  "retiring→retired",
]);

const statesAt = (keys: SigningKeyRecord[], now: number, lastExp: Record<string, number> = {}) =>
  Object.fromEntries(keyStatuses(keys, now, (k) => lastExp[k] ?? null).map((s) => [s.key.kid, s.state]));

describe("the signing-key lifecycle table", () => {
  for (const from of STATES) {
    for (const to of STATES) {
      const allowed = ALLOWED.has(`${from}→${to}`);
      test(`${from} → ${to}: ${allowed ? "allowed" : "refused"}`, () => {
        assert.equal(isTransition(from, to), allowed);
        if (allowed) {
          assert.equal(transition(from, to), to);
          return;
        }
        assert.throws(
          () => transition(from, to),
          (e: unknown) =>
            e instanceof KeyTransitionError &&
            e.code === "ERR_KEY_TRANSITION" &&
            EXIT_STATUS[e.exitClass] === 2 &&
            e.message === `a signing key cannot go from ${from} to ${to}`,
        );
      });
    }
  }

  test("nothing returns to pending or active once a key stopped signing; retired is terminal", () => {
    for (const from of ["superseded", "retiring", "retired"] as const) {
      assert.ok(!(TRANSITIONS[from] as readonly string[]).includes("active"));
      assert.ok(!(TRANSITIONS[from] as readonly string[]).includes("pending"));
    }
    assert.deepEqual(TRANSITIONS.retired, []);
    const ok: KeyTransition = { from: "superseded", to: "retired" };
    assert.equal(ok.to, "retired");
    // @ts-expect-error: the type has no retired → active transition (this file would not compile).
    const revived: KeyTransition = { from: "retired", to: "active" };
    // @ts-expect-error: nor superseded → active.
    const back: KeyTransition = { from: "superseded", to: "active" };
    assert.equal(isTransition(revived.from, revived.to) || isTransition(back.from, back.to), false);
  });
});

describe("every allowed transition, as the clock and the stored facts produce it", () => {
  test("pending → active → superseded → retired (a rotation)", () => {
    const keys = [key("a", 0, 0), key("b", H, 25 * H)];
    assert.deepEqual(statesAt(keys, 2 * H), { a: "active", b: "pending" });
    assert.deepEqual(statesAt(keys, 25 * H, { a: 26 * H }), { a: "superseded", b: "active" });
    const st = keyStatuses(keys, 25 * H, (k) => (k === "a" ? 26 * H : null));
    assert.equal(st[0]?.supersededAt, 25 * H);
    assert.equal(st[0]?.unpublishAt, 26 * H + AWS_SKEW_MS);
    assert.deepEqual(statesAt(keys, 26 * H + AWS_SKEW_MS - 1, { a: 26 * H }).a, "superseded");
    assert.deepEqual(statesAt(keys, 26 * H + AWS_SKEW_MS, { a: 26 * H }).a, "retired");
  });

  test("pending → retiring → retired (a cancelled rotation: the key never signs)", () => {
    const keys = [key("a", 0, 0), key("b", H, 25 * H, 2 * H)];
    assert.deepEqual(statesAt(keys, 2 * H), { a: "active", b: "retiring" });
    assert.deepEqual(statesAt(keys, 2 * H + AWS_SKEW_MS), { a: "active", b: "retired" });
    assert.deepEqual(statesAt(keys, 30 * H), { a: "active", b: "retired" }, "its activateAt passes unused");
    assert.equal(signingKey(keys, 30 * H)?.kid, "a");
  });

  test("superseded → retiring → retired keeps the publication its tokens need", () => {
    const keys = [key("a", 0, 0, 3 * H), key("b", H, 2 * H)];
    const last = { a: 10 * H };
    assert.deepEqual(statesAt(keys, 3 * H, last), { a: "retiring", b: "active" });
    const a = keyStatuses(keys, 3 * H, (k) => last[k as "a"] ?? null)[0]!;
    assert.equal(a.stoppedSigningAt, 2 * H, "it stopped when b took over, not when it was retired");
    assert.equal(a.unpublishAt, 10 * H + AWS_SKEW_MS);
    assert.equal(statesAt(keys, 10 * H + AWS_SKEW_MS, last).a, "retired");
  });

  test("active → retiring (a key retired while it signed, as older versions allowed): nothing signs", () => {
    const keys = [key("a", 0, 0), key("b", H, 2 * H, 5 * H)];
    assert.deepEqual(statesAt(keys, 5 * H, { b: 6 * H }), { a: "retired", b: "retiring" });
    assert.equal(signingKey(keys, 5 * H), undefined);
  });
});

describe("lifecycle invariants over random key histories", () => {
  const history = fc
    .array(
      fc.record({
        created: fc.integer({ min: 0, max: 100 }),
        wait: fc.integer({ min: 0, max: 30 }),
        retired: fc.option(fc.integer({ min: 0, max: 150 }), { nil: null }),
        lastExp: fc.option(fc.integer({ min: 0, max: 150 }), { nil: null }),
      }),
      { minLength: 1, maxLength: 6 },
    )
    .map((rows) =>
      rows.map((r, i) => ({
        key: key(`k${i}`, r.created * H, (r.created + r.wait) * H, r.retired === null ? null : r.retired * H),
        lastExp: r.lastExp === null ? null : r.lastExp * H,
      })),
    );

  test("states only move along the table, at most one key signs, it is published, nothing comes back", () => {
    fc.assert(
      fc.property(history, (rows) => {
        const keys = rows.map((r) => r.key);
        const lastExp = new Map(rows.map((r) => [r.key.kid, r.lastExp]));
        const reach = (from: KeyState, to: KeyState): boolean =>
          from === to || (TRANSITIONS[from] as readonly KeyState[]).some((n) => reach(n, to));
        const seen = new Map<string, KeyState>();
        const gone = new Set<string>();
        const signed = new Set<string>();
        for (let now = 0; now <= 200 * H; now += H / 2) {
          const statuses = keyStatuses(keys, now, (k) => lastExp.get(k) ?? null);
          const published = new Set(publishedKeys(statuses).map((k) => k.kid));
          const active = statuses.filter((s) => s.state === "active");
          assert.ok(active.length <= 1);
          assert.equal(active[0]?.key.kid, signingKey(keys, now)?.kid);
          if (active[0]) assert.ok(published.has(active[0].key.kid));
          for (const s of statuses) {
            const before = seen.get(s.key.kid) ?? "pending";
            assert.ok(reach(before, s.state), `${s.key.kid}: ${before} → ${s.state}`);
            seen.set(s.key.kid, s.state);
            if (gone.has(s.key.kid)) assert.ok(!published.has(s.key.kid), `${s.key.kid} republished`);
            if (!published.has(s.key.kid)) gone.add(s.key.kid);
            // Never unpublished while a token it signed may still be accepted.
            if (s.state === "active") signed.add(s.key.kid);
            const exp = lastExp.get(s.key.kid);
            if (signed.has(s.key.kid) && exp !== null && exp !== undefined && now < exp + AWS_SKEW_MS) {
              assert.ok(published.has(s.key.kid), `${s.key.kid} unpublished before its last token expired`);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
