import assert from "node:assert/strict";
import { test } from "node:test";
import { runKeyless } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

// A kid is a base64url thumbprint: one in 64 starts with "-", and must still be accepted as the operand
// (this test once failed at random, when the generated kid happened to start with a dash).
test("keys retire takes a kid that starts with a dash; a --word is still a mistyped flag", async () => {
  const dir = tempDir();
  try {
    const dashed = await runKeyless([
      "keys",
      "retire",
      "-B-YLXJzTlfuj2YRfA1t7qInnymrJkCK5gli96LcskI",
      "--data-dir",
      dir.path,
    ]);
    assert.equal(dashed.code, 2);
    assert.equal(dashed.stderr, "keyless: no signing key -B-YLXJzTlfuj2YRfA1t7qInnymrJkCK5gli96LcskI\n");
    const typo = await runKeyless(["keys", "retire", "--bogus", "--data-dir", dir.path]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /^keyless: unknown option '--bogus'/);
  } finally {
    dir.cleanup();
  }
});
