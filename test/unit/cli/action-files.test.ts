import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { untilPlain } from "../../../src/cli/action/exchange.js";
import { stepIo } from "../../../src/cli/action/files.js";
import { parseEnvironmentFile } from "../../support/github-runner.js";
import { tempDir } from "../../support/tmp.js";

describe("the action's step I/O (GitHub's environment files and workflow commands)", () => {
  const dir = tempDir("keyless-action-io-");
  after(() => dir.cleanup());
  const setup = (inputs: Record<string, string> = {}) => {
    const files = { GITHUB_ENV: join(dir.path, "env"), GITHUB_OUTPUT: join(dir.path, "out") };
    for (const f of Object.values(files)) writeFileSync(f, "");
    const printed: string[] = [];
    const io = stepIo({ ...files, ...inputs }, (t) => printed.push(t));
    return { io, files, printed };
  };

  test("a value with newlines or a would-be injection stays one entry (delimiter form)", () => {
    const { io, files } = setup();
    io.exportVariable("A", "one\ntwo");
    io.exportVariable("B", "x\nINJECTED=1");
    io.setOutput("c", "plain");
    const env = parseEnvironmentFile(readFileSync(files.GITHUB_ENV, "utf8"));
    assert.deepEqual(env, { A: "one\ntwo", B: "x\nINJECTED=1" });
    assert.deepEqual(parseEnvironmentFile(readFileSync(files.GITHUB_OUTPUT, "utf8")), { c: "plain" });
  });

  test("inputs: INPUT_<NAME> upper-cased with hyphens kept, trimmed; booleans as YAML's; lists by line", () => {
    const { io } = setup({
      "INPUT_ROLE-TO-ASSUME": "  arn:x  ",
      "INPUT_OUTPUT-CREDENTIALS": "True",
      "INPUT_MASK-AWS-ACCOUNT-ID": "yes",
      "INPUT_CHAIN-ROLE-ARNS": "a\n\n  b \n",
    });
    assert.equal(io.input("role-to-assume"), "arn:x");
    assert.equal(io.booleanInput("output-credentials"), true);
    assert.equal(io.booleanInput("role-chaining"), false, "absent is false");
    assert.throws(() => io.booleanInput("mask-aws-account-id"), /"yes" is not a boolean/);
    assert.deepEqual(io.multilineInput("chain-role-arns"), ["a", "b"]);
  });

  test("::error:: escapes %, CR and LF; ::add-mask:: skips empty values", () => {
    const { io, printed } = setup();
    io.error("50% done\nsecond line");
    io.mask("secret", "");
    assert.deepEqual(printed, ["::error::50%25 done%0Asecond line\n", "::add-mask::secret\n"]);
  });
});

describe("special-characters-workaround", () => {
  const obtained = (secretAccessKey: string) => ({
    credentials: { accessKeyId: "ASIA", secretAccessKey, sessionToken: "t", expiration: 0 },
    hops: [],
  });

  test("asks again until the secret has letters and digits only", async () => {
    const secrets = ["a+b", "c/d", "plain0"];
    let calls = 0;
    const result = await untilPlain(async () => obtained(secrets[calls++]!))();
    assert.equal(result.credentials.secretAccessKey, "plain0");
    assert.equal(calls, 3);
  });

  test("gives up after 12 attempts with a failure outside keyless (exit 3)", async () => {
    let calls = 0;
    await assert.rejects(
      untilPlain(async () => {
        calls++;
        return obtained("a+b");
      })(),
      (e: Error & { exitClass?: string }) => {
        assert.match(e.message, /each of 12 secret access keys had a special character/);
        assert.equal(e.exitClass, "outside");
        return true;
      },
    );
    assert.equal(calls, 12);
  });
});
