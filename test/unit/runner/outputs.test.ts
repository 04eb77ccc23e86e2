import assert from "node:assert/strict";
import { lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SecretFileError } from "../../../src/lib/secret-file.js";
import { formatCredentialProcess, formatDotenv, formatEnv, formatJson } from "../../../src/runner/outputs.js";
import { writeProfile } from "../../../src/runner/profile.js";
import { runCommand } from "../../support/cli.js";
import { tempDir } from "../../support/tmp.js";

const credentials = {
  accessKeyId: "ASIAEXAMPLEEXAMPLE12",
  // Shell-hostile on purpose: a quote, a dollar and a slash must survive every format.
  secretAccessKey: "wJalr'XUtn$FEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE+token/with=padding==",
  expiration: Date.parse("2026-11-22T11:00:00Z"),
};

describe("credential outputs, read back by what consumes them", () => {
  test("env: `eval` in a POSIX shell exports exactly the values", async () => {
    const script = `eval "$1"; printf '%s\\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_REGION"`;
    const result = await runCommand("sh", ["-c", script, "sh", formatEnv(credentials, "eu-west-1")]);
    assert.deepEqual(result.stdout.trim().split("\n"), [
      credentials.accessKeyId,
      credentials.secretAccessKey,
      credentials.sessionToken,
      "eu-west-1",
    ]);
  });

  test("dotenv: lines a shell reads with `set -a; . file` (the $GITHUB_ENV / $ENV0_ENV form)", async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, "env");
      writeFileSync(
        file,
        formatDotenv({ ...credentials, secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }),
      );
      const result = await runCommand("bash", [
        "-c",
        `while IFS='=' read -r k v; do printf '%s=%s\\n' "$k" "$v"; done < "$1"`,
        "bash",
        file,
      ]);
      assert.match(result.stdout, /^AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\/K7MDENG\/bPxRfiCYEXAMPLEKEY$/m);
      assert.match(result.stdout, /^AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEXAMPLE\+token\/with=padding==$/m);
    } finally {
      dir.cleanup();
    }
  });

  test("json and credential-process documents", () => {
    const process = JSON.parse(formatCredentialProcess(credentials));
    assert.deepEqual(process, {
      Version: 1,
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      SessionToken: credentials.sessionToken,
      Expiration: "2026-11-22T11:00:00Z",
    });
    assert.equal(JSON.parse(formatJson(credentials)).Credentials.Expiration, "2026-11-22T11:00:00Z");
  });
});

describe("profile writer", () => {
  test("writes the profile 0600, keeps other profiles, replaces its own section", () => {
    const dir = tempDir();
    try {
      const target = {
        credentialsFile: join(dir.path, ".aws", "credentials"),
        configFile: join(dir.path, ".aws", "config"),
      };
      writeProfile(target, "ci", credentials, "us-east-1");
      writeFileSync(
        target.credentialsFile,
        `[other]\naws_access_key_id = AKIAOTHER\n\n${readFileSync(target.credentialsFile, "utf8")}`,
        { mode: 0o600 },
      );
      writeProfile(target, "ci", { ...credentials, accessKeyId: "ASIASECONDSECOND2345" }, "us-east-1");
      const text = readFileSync(target.credentialsFile, "utf8");
      assert.match(text, /\[other\]\naws_access_key_id = AKIAOTHER/);
      assert.equal(text.match(/\[ci\]/g)?.length, 1);
      assert.match(text, /aws_access_key_id = ASIASECONDSECOND2345/);
      assert.doesNotMatch(text, /ASIAEXAMPLEEXAMPLE12/);
      assert.equal(statSync(target.credentialsFile).mode & 0o777, 0o600);
      assert.match(readFileSync(target.configFile, "utf8"), /\[profile ci\]\nregion = us-east-1/);
    } finally {
      dir.cleanup();
    }
  });

  test("never writes through a symbolic link", () => {
    const dir = tempDir();
    try {
      const elsewhere = join(dir.path, "elsewhere");
      writeFileSync(elsewhere, "untouched");
      const link = join(dir.path, "credentials");
      symlinkSync(elsewhere, link);
      assert.throws(
        () =>
          writeProfile({ credentialsFile: link, configFile: join(dir.path, "config") }, "ci", credentials),
        SecretFileError,
      );
      assert.equal(readFileSync(elsewhere, "utf8"), "untouched");
      assert.ok(lstatSync(link).isSymbolicLink());
    } finally {
      dir.cleanup();
    }
  });
});
