import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { seedWebIdentityRole } from "../support/aws.js";
import { runKeyless } from "../support/cli.js";
import { type RunningEmulator, startEmulator } from "../support/emulator.js";
import { tempDir } from "../support/tmp.js";

describe("keyless lint --emulator: the roles of a running emulator", () => {
  const dir = tempDir("keyless-lint-emu-");
  let emulator: RunningEmulator;
  const ACCOUNT = "123456789012";
  const OTHER = "210987654321";
  const HOST = "ci.example.com";
  before(async () => {
    emulator = await startEmulator(join(dir.path, "data"));
    const seed = { endpoint: emulator.endpoint, dir: dir.path, providerUrl: `https://${HOST}` };
    // An audience-only trust: any subject of the issuer gets in.
    await seedWebIdentityRole({
      ...seed,
      account: ACCOUNT,
      roleName: "open",
      condition: { StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com" } },
    });
    await seedWebIdentityRole({
      ...seed,
      account: OTHER,
      roleName: "pinned",
      condition: {
        StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com", [`${HOST}:sub`]: "project:acme:deploy" },
      },
    });
  });
  after(async () => {
    await emulator?.stop();
    dir.cleanup();
  });

  test("lists every role of the named accounts and reports findings by role ARN", async () => {
    const r = await runKeyless([
      "lint",
      "--emulator",
      emulator.endpoint,
      "--emulator-account",
      ACCOUNT,
      "--emulator-account",
      OTHER,
      "--format",
      "json",
    ]);
    assert.equal(r.code, 1, r.stderr);
    const findings: { file: string; location: string; rule: string }[] = JSON.parse(r.stdout).findings;
    assert.ok(findings.length > 0);
    assert.ok(findings.every((f) => f.file === `emulator:${emulator.endpoint}`));
    assert.ok(
      findings.some((f) => f.location === `arn:aws:iam::${ACCOUNT}:role/open`),
      JSON.stringify(findings),
    );
    assert.ok(
      !findings.some((f) => f.location.endsWith("role/pinned") && f.rule === "OIDC-001"),
      "the pinned role is not 'any subject'",
    );
  });

  test("without --emulator-account, every account the emulator holds is read", async () => {
    const r = await runKeyless([
      "lint",
      "--emulator",
      emulator.endpoint,
      "--format",
      "json",
      "--fail-on",
      "info",
    ]);
    assert.equal(r.code, 1, r.stderr);
    const locations = new Set(
      (JSON.parse(r.stdout).findings as { location: string }[]).map((f) => f.location),
    );
    assert.ok(locations.has(`arn:aws:iam::${ACCOUNT}:role/open`), [...locations].join(", "));
    // The pinned role has findings only below critical, but it was read: its unknown issuer is named.
    assert.ok(locations.has(`arn:aws:iam::${OTHER}:role/pinned`), [...locations].join(", "));
  });

  test("an emulator with no roles says so and exits non-zero", async () => {
    const empty = await startEmulator(join(dir.path, "empty"));
    try {
      const r = await runKeyless(["lint", "--emulator", empty.endpoint]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^keyless: lint --emulator .+: no roles found in any account .+nothing was linted\n$/,
      );
      const named = await runKeyless(["lint", "--emulator", empty.endpoint, "--emulator-account", OTHER]);
      assert.equal(named.code, 1);
      assert.match(named.stderr, new RegExp(`no roles found in account ${OTHER}`));
    } finally {
      await empty.stop();
    }
  });

  test("an unreachable emulator is one line and exit 3 (a failure outside keyless)", async () => {
    const r = await runKeyless(["lint", "--emulator", "http://127.0.0.1:9"]);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /^keyless: --emulator http:\/\/127\.0\.0\.1:9: cannot list the roles of account 123456789012: /,
    );
    assert.equal(r.stderr.split("\n").length, 2);
  });
});
