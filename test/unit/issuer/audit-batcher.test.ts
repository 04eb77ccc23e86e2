import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AuditBatcher, type AuditSink } from "../../../src/issuer/audit-batcher.js";
import type { AuditEntry } from "../../../src/issuer/model.js";

const entry = (id: string): AuditEntry => ({
  id,
  at: 0,
  actor: "run:r1",
  action: "token.mint",
  organizationId: "o1",
  target: "r1",
  kid: "k1",
  tokenExp: 60,
  details: {},
});

/** A sink whose writes complete only when the test says so, recording what it was handed and when. */
function gatedSink() {
  const calls: { ids: string[]; done: () => void; fail: (e: Error) => void }[] = [];
  const stored: string[] = [];
  const sink: AuditSink = {
    appendAudits: (entries) =>
      new Promise<void>((resolve, reject) => {
        const ids = entries.map((e) => e.id);
        calls.push({
          ids,
          done: () => {
            stored.push(...ids);
            resolve();
          },
          fail: reject,
        });
      }),
  };
  return { sink, calls, stored };
}

const turn = () => new Promise((r) => setImmediate(r));

describe("audit batcher", () => {
  test("entries of one event-loop turn go in one batch; each promise settles only once its entry is stored", async () => {
    const { sink, calls, stored } = gatedSink();
    const batcher = new AuditBatcher(sink);
    const settled: string[] = [];
    const p = ["a", "b", "c"].map((id) => batcher.append(entry(id)).then(() => settled.push(id)));
    await turn();
    assert.deepEqual(
      calls.map((c) => c.ids),
      [["a", "b", "c"]],
    );
    await turn();
    assert.deepEqual(settled, [], "nothing is acknowledged before the write completes");
    calls[0]!.done();
    await Promise.all(p);
    assert.deepEqual(stored, ["a", "b", "c"]);
    assert.deepEqual(settled, ["a", "b", "c"]);
  });

  test("a sequential sink (the store) has one write in flight; later entries wait for the next", async () => {
    const { sink, calls } = gatedSink();
    const batcher = new AuditBatcher(sink);
    const first = batcher.append(entry("a"));
    await turn();
    const second = batcher.append(entry("b"));
    const third = batcher.append(entry("c"));
    await turn();
    await turn();
    assert.equal(calls.length, 1, "no second write while the first is in flight");
    calls[0]!.done();
    await first;
    await turn();
    assert.deepEqual(calls[1]?.ids, ["b", "c"]);
    calls[1]!.done();
    await Promise.all([second, third]);
  });

  test("a failed write rejects every entry of its batch, and the next batch is still written", async () => {
    const { sink, calls } = gatedSink();
    const batcher = new AuditBatcher(sink);
    const failing = [batcher.append(entry("a")), batcher.append(entry("b"))];
    await turn();
    calls[0]!.fail(new Error("disk full"));
    for (const p of failing) await assert.rejects(p, /disk full/);
    const next = batcher.append(entry("c"));
    await turn();
    assert.deepEqual(calls.at(-1)?.ids, ["c"]);
    calls.at(-1)!.done();
    await next;
  });
});
