import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EmulatorRoleError } from "../../../src/analysis/explain/emulator-role.js";
import { ExplainInputError } from "../../../src/analysis/explain/report.js";
import { InitError } from "../../../src/analysis/init/plan.js";
import { LintInputError } from "../../../src/analysis/lint/inputs/types.js";
import { AwsError } from "../../../src/aws/wire/errors.js";
import { PolicyError } from "../../../src/core/policy/errors.js";
import { TokenDecodeError } from "../../../src/core/token/decode.js";
import { IssuerProblem } from "../../../src/issuer/errors.js";
import { type ExitClass, fileErrorFrom, isKeylessError, type KeylessError } from "../../../src/lib/errors.js";
import { SecretFileError } from "../../../src/lib/secret-file.js";
import { AccountNotAllowedError } from "../../../src/runner/assume.js";
import { RoleSelectionError } from "../../../src/runner/role.js";
import { TokenSourceError } from "../../../src/runner/token-sources.js";
import { ConfigError } from "../../../src/server/config.js";
import { DatabaseUrlError } from "../../../src/store/database.js";

// One contract for every layer: a KeylessError with a stable code and the class that decides the exit.
describe("every layer's error is a KeylessError with a code and an exit class", () => {
  const cases: Array<[KeylessError, string, ExitClass]> = [
    [new PolicyError("Syntax errors in policy."), "MalformedPolicyDocument", "input"],
    [new AwsError("AccessDenied", "no"), "AccessDenied", "negative"],
    [new AwsError("ServiceFailure", "down"), "ServiceFailure", "outside"],
    [new IssuerProblem("forbidden", "wrong scope"), "forbidden", "input"],
    [new IssuerProblem("no-signing-key", "none"), "no-signing-key", "outside"],
    [new TokenSourceError("no source"), "ERR_TOKEN_SOURCE", "input"],
    [new RoleSelectionError("no role"), "ERR_ROLE", "input"],
    [new SecretFileError("symlink"), "ERR_FILE", "input"],
    [new AccountNotAllowedError("other account"), "ERR_ACCOUNT_NOT_ALLOWED", "negative"],
    [new ConfigError("bad flag"), "ERR_CONFIG", "input"],
    [new DatabaseUrlError("no file"), "ERR_DATABASE_URL", "input"],
    [new TokenDecodeError("not a JWT"), "ERR_TOKEN_DECODE", "input"],
    [new EmulatorRoleError("no role"), "ERR_EMULATOR_ROLE", "input"],
    [new ExplainInputError("bad"), "ERR_EXPLAIN_INPUT", "input"],
    [new LintInputError("bad"), "ERR_LINT_INPUT", "input"],
    [new InitError("bad"), "ERR_INIT_INPUT", "input"],
  ];
  for (const [error, code, exitClass] of cases) {
    test(`${error.name}: ${code}, ${exitClass}`, () => {
      assert.ok(isKeylessError(error));
      assert.equal(error.code, code);
      assert.equal(error.exitClass, exitClass);
      assert.equal(error.name, error.constructor.name, "the subclass keeps its own name");
    });
  }
});

describe("fileErrorFrom", () => {
  test("a file-system error becomes one line naming the path, the reason and what to do", () => {
    const eisdir = Object.assign(new Error("EISDIR: illegal operation on a directory"), { code: "EISDIR" });
    const e = fileErrorFrom(eisdir, "--out", "/tmp", "name a file");
    assert.ok(isKeylessError(e));
    assert.equal(e.exitClass, "input");
    assert.equal(e.message, "--out /tmp: is a directory, not a file; name a file");
  });

  test("anything else is returned as it is: a bug stays a bug", () => {
    const bug = new TypeError("x is undefined");
    assert.equal(fileErrorFrom(bug, "--out", "/tmp", "name a file"), bug);
  });
});
