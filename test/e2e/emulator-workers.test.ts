import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { awsAdmin, type RunningEmulator, startEmulator } from "../support/emulator.js";
import { tempDir } from "../support/tmp.js";

// `keyless emulator --workers N` and `keyless serve --workers N` share one cluster supervisor
// (src/server/cluster.ts); serve's side is covered in issuer-serve.test.ts.
describe("keyless emulator --workers 2", () => {
  const dir = tempDir();
  let emulator: RunningEmulator | undefined;
  after(async () => {
    await emulator?.stop();
    dir.cleanup();
  });

  test("announces once all workers listen, serves from them, and stops cleanly on SIGTERM", async () => {
    emulator = await startEmulator(join(dir.path, "data"), ["--workers", "2"]);
    let out = "";
    emulator.process.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const aws = awsAdmin(emulator.endpoint, dir.path);
    // Several calls: connections are handed to the workers round-robin; each one must answer.
    for (let i = 0; i < 4; i++) {
      const r = await aws("123456789012", ["sts", "get-caller-identity", "--output", "json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).Account, "123456789012");
    }
    const exited = new Promise<number | null>((resolve) =>
      emulator!.process.once("exit", (code) => resolve(code)),
    );
    emulator.process.kill("SIGTERM");
    assert.equal(await exited, 0, out);
  });
});
