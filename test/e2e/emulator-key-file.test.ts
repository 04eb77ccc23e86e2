import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type RunResult, runKeyless } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

// The emulator's sealing key (<data dir>/emulator.key) as a user can break it: bad input, exit 2, one
// `keyless:` line naming the file and what to do, never "unexpected error" and exit 3.

function oneLine(r: RunResult, pattern: RegExp): void {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^keyless: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
}

describe("a corrupt emulator key file", () => {
  const dir = tempDir("keyless-keyfile-");
  after(() => dir.cleanup());

  const dataDirWith = (name: string, content: string) => {
    const dataDir = join(dir.path, name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, "emulator.key"), content, { mode: 0o600 });
    return dataDir;
  };
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  for (const [what, content] of [
    ["text that is not base64", "this is not a key\n"],
    ["a truncated key (16 bytes)", `${Buffer.alloc(16, 7).toString("base64")}\n`],
    ["an empty file", ""],
    ["a key with stray characters", `${Buffer.alloc(32, 7).toString("base64")}!!\n`],
  ] as const) {
    test(`${what}: keyless emulator exits 2 naming the file and what to do`, async () => {
      const dataDir = dataDirWith(what.replace(/\W+/g, "-"), content);
      const path = join(dataDir, "emulator.key");
      const r = await runKeyless(["emulator", "--port", "0", "--data-dir", dataDir]);
      assert.equal(r.code, 2, r.stderr);
      oneLine(
        r,
        new RegExp(
          `emulator key file ${literal(path)} does not hold a 32-byte base64 key .*delete it to have a new key made`,
        ),
      );
      assert.equal(readFileSync(path, "utf8"), content, "the file is left as it was, for the user to decide");
    });
  }

  test("with workers, the primary refuses it the same way", async () => {
    const dataDir = dataDirWith("workers", "garbage");
    const r = await runKeyless(["emulator", "--port", "0", "--workers", "2", "--data-dir", dataDir]);
    assert.equal(r.code, 2, r.stderr);
    oneLine(r, /emulator key file .* does not hold a 32-byte base64 key/);
  });

  test("a directory where the key file should be: exit 2, naming the path", async () => {
    const dataDir = join(dir.path, "key-is-a-dir");
    mkdirSync(join(dataDir, "emulator.key"), { recursive: true });
    const r = await runKeyless(["emulator", "--port", "0", "--data-dir", dataDir]);
    assert.equal(r.code, 2, r.stderr);
    oneLine(r, new RegExp(literal(join(dataDir, "emulator.key"))));
  });

  test("KEYLESS_EMULATOR_SEALING_KEY that is not 32 bytes of base64: exit 2, naming the variable; no key file made", async () => {
    const dataDir = join(dir.path, "bad-env-key");
    const env = { ...process.env, KEYLESS_EMULATOR_SEALING_KEY: Buffer.alloc(16, 1).toString("base64") };
    const r = await runKeyless(["emulator", "--port", "0", "--data-dir", dataDir], { env });
    assert.equal(r.code, 2, r.stderr);
    oneLine(r, /KEYLESS_EMULATOR_SEALING_KEY must be the base64 of 32 bytes .*got 16 bytes/);
    assert.equal(existsSync(join(dataDir, "emulator.key")), false);
  });
});
