import assert from "node:assert/strict";
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isKeylessError } from "../../../src/lib/errors.js";
import { withFileLock } from "../../../src/lib/file-lock.js";
import { tempDir } from "../../support/tmp.js";

describe("withFileLock", () => {
  test("holds <path>.lock (with the holder's pid) while the update runs, then removes it", () => {
    const dir = tempDir("keyless-lock-");
    try {
      const path = join(dir.path, "credentials");
      const seen = withFileLock(path, () => readFileSync(`${path}.lock`, "utf8"));
      assert.equal(seen, `${process.pid}\n`);
      assert.equal(existsSync(`${path}.lock`), false);
      assert.throws(() =>
        withFileLock(path, () => {
          throw new Error("update failed");
        }),
      );
      assert.equal(existsSync(`${path}.lock`), false, "removed after a failed update too");
    } finally {
      dir.cleanup();
    }
  });

  test("a live holder's lock is waited on, then refused with exit 2 naming the lock", () => {
    const dir = tempDir("keyless-lock-");
    try {
      const path = join(dir.path, "credentials");
      writeFileSync(`${path}.lock`, "1\n");
      let ran = false;
      assert.throws(
        () =>
          withFileLock(
            path,
            () => {
              ran = true;
            },
            { waitMs: 50 },
          ),
        (error: unknown) =>
          isKeylessError(error) && error.exitClass === "input" && error.message.includes(`${path}.lock`),
      );
      assert.equal(ran, false);
      assert.equal(existsSync(`${path}.lock`), true, "someone else's lock is left alone");
    } finally {
      dir.cleanup();
    }
  });

  test("a lock older than staleMs (its holder died) is removed and taken", () => {
    const dir = tempDir("keyless-lock-");
    try {
      const path = join(dir.path, "credentials");
      writeFileSync(`${path}.lock`, "1\n");
      const old = new Date(Date.now() - 60_000);
      utimesSync(`${path}.lock`, old, old);
      assert.equal(
        withFileLock(path, () => "ran", { staleMs: 30_000 }),
        "ran",
      );
      assert.equal(existsSync(`${path}.lock`), false);
    } finally {
      dir.cleanup();
    }
  });
});
