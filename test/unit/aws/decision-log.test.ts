import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DecisionLog, eventsDir, readEvents } from "../../../src/aws/authz/decision-log.js";
import type { Caller } from "../../../src/aws/credentials/caller.js";
import { AwsError } from "../../../src/aws/wire/errors.js";
import { QueryParams } from "../../../src/aws/wire/params.js";
import { cryptoIds } from "../../../src/lib/ids.js";
import { tempDir } from "../../support/tmp.js";

const root: Caller = { kind: "root", account: "111111111111" };
const call = (i: number, error?: AwsError) => ({
  service: "iam" as const,
  action: "GetRole",
  params: QueryParams.parse(
    `Action=GetRole&Version=2010-05-08&RoleName=r${i}&WebIdentityToken=eyJ.secret.sig&X-Amz-Security-Token=tok`,
  ),
  context: {
    caller: root,
    requestId: `req-${i}`,
    request: { method: "POST", url: "/", headers: { "user-agent": "ua" }, body: "" },
  },
  ...(error ? { error } : {}),
});
const flushed = () => new Promise((ok) => setImmediate(ok));

test("the decision log is bounded per file, keeps refusals apart, and never writes tokens", async () => {
  const dir = tempDir();
  try {
    const log = new DecisionLog({
      dataDir: dir.path,
      clock: () => Date.UTC(2026, 0, 1),
      ids: cryptoIds,
      maxBytes: 4000,
    });
    log.record(call(0, new AwsError("AccessDenied", "User: x is not authorized to perform: iam:GetRole")));
    await flushed();
    for (let i = 1; i <= 200; i++) {
      log.record(call(i));
      if (i % 10 === 0) await flushed();
    }
    log.close();
    const files = readdirSync(eventsDir(dir.path));
    for (const f of files) assert.ok(statSync(join(eventsDir(dir.path), f)).size <= 4000, f);
    assert.ok(
      files.some((f) => f.endsWith(".jsonl.1")),
      "the all-calls file was rotated",
    );
    for (const f of files) {
      const text = readFileSync(join(eventsDir(dir.path), f), "utf8");
      assert.ok(!text.includes("secret") && !text.includes("tok"), f);
      assert.equal(statSync(join(eventsDir(dir.path), f)).mode & 0o777, 0o600);
    }
    const events = readEvents(dir.path);
    assert.ok(events.length < 201, "old allowed calls were dropped");
    assert.equal(
      events.find((e) => e.requestID === "req-0")?.errorCode,
      "AccessDenied",
      "the refusal survived",
    );
    assert.ok(events.some((e) => e.requestID === "req-200"));
    assert.equal(new Set(events.map((e) => e.eventID)).size, events.length);
    const e = events.find((x) => x.requestID === "req-200")!;
    assert.equal(e.eventSource, "iam.amazonaws.com");
    assert.equal(e.eventName, "GetRole");
    assert.deepEqual(e.userIdentity, {
      type: "Root",
      principalId: "111111111111",
      arn: "arn:aws:iam::111111111111:root",
      accountId: "111111111111",
    });
    assert.deepEqual(e.requestParameters, { roleName: "r200" });
    assert.equal(e.eventTime, "2026-01-01T00:00:00Z");
  } finally {
    dir.cleanup();
  }
});

test("a refusal is in the file when record returns; allowed calls are batched and written by close", () => {
  const dir = tempDir();
  try {
    const log = new DecisionLog({ dataDir: dir.path, clock: () => Date.UTC(2026, 0, 1), ids: cryptoIds });
    const ids = () =>
      readEvents(dir.path)
        .map((e) => `${e.requestID}:${e.errorCode ?? "ok"}`)
        .sort();
    log.record(call(1));
    log.record(call(2, new AwsError("AccessDenied", "User: x is not authorized to perform: iam:GetRole")));
    // Synchronously, with no turn of the event loop: the refusal's write carries the call buffered before it.
    assert.deepEqual(ids(), ["req-1:ok", "req-2:AccessDenied"]);
    log.record(call(3));
    log.close();
    assert.deepEqual(ids(), ["req-1:ok", "req-2:AccessDenied", "req-3:ok"]);
  } finally {
    dir.cleanup();
  }
});
