import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { writeSecretFile } from "../../../src/runner/profile.js";
import { tempDir } from "../../support/tmp.js";

// The atomic writer writes a temporary 0600 file beside the target and renames it into place: when the
// rename fails (the target is a directory), the temporary copy of the secret must not stay behind.
describe("writeSecretFile leaves no secret behind on failure", () => {
  test("renaming over a directory fails and removes the temporary file", () => {
    const dir = tempDir();
    try {
      const target = join(dir.path, "out");
      mkdirSync(target);
      assert.throws(() => writeSecretFile(target, "live-token"), { code: "EISDIR" });
      assert.deepEqual(readdirSync(dir.path), ["out"]);
      assert.deepEqual(readdirSync(target), []);
    } finally {
      dir.cleanup();
    }
  });

  test("a normal write still lands, 0600", () => {
    const dir = tempDir();
    try {
      const target = join(dir.path, "token");
      writeSecretFile(target, "live-token");
      assert.equal(readFileSync(target, "utf8"), "live-token");
      assert.deepEqual(readdirSync(dir.path), ["token"]);
    } finally {
      dir.cleanup();
    }
  });
});
