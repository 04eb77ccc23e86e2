import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadServeConfig, parseDuration } from "../../../src/server/config.js";
import { captureLog } from "../../support/log-capture.js";
import { tempDir } from "../../support/tmp.js";

describe("serve configuration", () => {
  test("flags over KEYLESS_* over the file over defaults", () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, "keyless.json");
      writeFileSync(
        file,
        JSON.stringify({
          port: 9000,
          issuerUrl: "https://file.example.com",
          keyOverlap: "2h",
          logLevel: "debug",
        }),
      );
      const c = loadServeConfig({
        flags: { config: file, issuerUrl: "https://flag.example.com" },
        env: { HOME: dir.path, KEYLESS_PORT: "9100", KEYLESS_KEK: "a2V5" },
      });
      assert.equal(c.issuerUrl, "https://flag.example.com");
      assert.equal(c.port, 9100);
      assert.equal(c.keyOverlapSeconds, 7200);
      assert.equal(c.logLevel, "debug");
      assert.equal(c.host, "127.0.0.1", "loopback by default");
      assert.equal(c.database, join(dir.path, ".keyless", "keyless.db"));
      assert.equal(c.kek, "a2V5");
      assert.equal(c.keyRotationIntervalSeconds, 30 * 86400);
    } finally {
      dir.cleanup();
    }
  });
  test("rate limits: defaults per worker, file < KEYLESS_* < flags, 0 turns one off", () => {
    const dir = tempDir();
    try {
      const defaults = loadServeConfig({ flags: {}, env: { HOME: dir.path } }).rateLimits;
      assert.deepEqual(defaults, {
        windowSeconds: 60,
        tokenPerRun: 120,
        tokenPerAddress: 1200,
        adminPerKey: 1200,
      });
      const file = join(dir.path, "keyless.json");
      writeFileSync(
        file,
        JSON.stringify({ rateLimitWindow: "5m", tokenRateLimitPerRun: 10, adminRateLimitPerKey: 50 }),
      );
      const c = loadServeConfig({
        flags: { config: file, tokenRateLimitPerRun: "0" },
        env: {
          HOME: dir.path,
          KEYLESS_ADMIN_RATE_LIMIT_PER_KEY: "70",
          KEYLESS_TOKEN_RATE_LIMIT_PER_ADDRESS: "9",
        },
      }).rateLimits;
      assert.deepEqual(c, { windowSeconds: 300, tokenPerRun: 0, tokenPerAddress: 9, adminPerKey: 70 });
      assert.throws(
        () => loadServeConfig({ flags: { tokenRateLimitPerRun: "-1" }, env: { HOME: dir.path } }),
        (e: Error) =>
          e instanceof ConfigError && /tokenRateLimitPerRun must be a whole number/.test(e.message),
      );
      assert.throws(
        () => loadServeConfig({ flags: { rateLimitWindow: "0" }, env: { HOME: dir.path } }),
        (e: Error) => e instanceof ConfigError && /rate-limit window/.test(e.message),
      );
    } finally {
      dir.cleanup();
    }
  });
  test("mistakes are one clear error", () => {
    assert.throws(() => loadServeConfig({ flags: { tlsCert: "c.pem" }, env: {} }), /go together/);
    assert.throws(() => loadServeConfig({ flags: { port: "x" }, env: {} }), ConfigError);
    assert.throws(() => loadServeConfig({ flags: { signingAlgorithm: "EdDSA" }, env: {} }), /RS256 or ES256/);
    assert.throws(
      () => loadServeConfig({ flags: { config: "/nonexistent.json" }, env: {} }),
      /cannot read config file/,
    );
    assert.throws(() => parseDuration("soon", "x"), /not a duration/);
    assert.throws(() => loadServeConfig({ flags: { keyOverlap: "5m" }, env: {} }), /shorter than 15 minutes/);
    assert.equal(parseDuration("30d", "x"), 2_592_000);
    const dir = tempDir();
    try {
      const file = join(dir.path, "bad.json");
      writeFileSync(file, JSON.stringify({ prot: 1 }));
      assert.throws(() => loadServeConfig({ flags: { config: file }, env: {} }), /Unrecognized key/);
    } finally {
      dir.cleanup();
    }
  });
});

describe("logger", () => {
  test("redacts authorization headers, secrets, request tokens and tokens", () => {
    const { logger: log, text } = captureLog();
    log.info(
      {
        req: { headers: { authorization: "Bearer klk_x" } },
        secret: "klk_y",
        requestToken: "klr_z",
        value: "eyJ.a.b",
      },
      "m",
    );
    const out = text();
    assert.ok(!/klk_x|klk_y|klr_z|eyJ/.test(out), out);
    assert.match(out, /\[redacted\]/);
  });
});
