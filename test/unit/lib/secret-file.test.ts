import assert from "node:assert/strict";
import {
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createSecretFile, SecretFileError, writeSecretFile } from "../../../src/lib/secret-file.js";
import { tempDir } from "../../support/tmp.js";

describe("secret files", () => {
  let dir: ReturnType<typeof tempDir>;
  let umask: number;
  before(() => {
    dir = tempDir();
    // The most permissive umask: the 0600 must come from the writer itself, not from the environment.
    umask = process.umask(0);
  });
  after(() => {
    process.umask(umask);
    dir.cleanup();
  });
  const fresh = (name: string) => {
    const path = join(dir.path, name);
    mkdirSync(path);
    return path;
  };

  test("a new file is owner-only (0600) with exactly the content, in a new 0700 directory", () => {
    const base = fresh("new");
    const file = join(base, "nested", "token");
    writeSecretFile(file, "secret-1\n");
    assert.equal(readFileSync(file, "utf8"), "secret-1\n");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(base, "nested")).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(base, "nested")), ["token"]);
  });

  test("replacing is atomic: a reader of the old file keeps the old bytes; the path has all the new", () => {
    const base = fresh("replace");
    const file = join(base, "credentials");
    writeFileSync(file, "old-content", { mode: 0o644 });
    const reader = openSync(file, "r");
    const big = "n".repeat(1 << 20);
    writeSecretFile(file, big);
    const buffer = Buffer.alloc(64);
    const n = readSync(reader, buffer, 0, 64, 0);
    assert.equal(buffer.subarray(0, n).toString(), "old-content");
    assert.equal(readFileSync(file, "utf8"), big);
    // A group/world-readable file it replaces does not pass its mode on.
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(base), ["credentials"]);
  });

  test("a symbolic link is refused; its target is untouched", () => {
    const base = fresh("symlink");
    const elsewhere = join(base, "elsewhere");
    writeFileSync(elsewhere, "untouched");
    const link = join(base, "token");
    symlinkSync(elsewhere, link);
    assert.throws(() => writeSecretFile(link, "secret"), SecretFileError);
    assert.throws(() => createSecretFile(link, "secret"), SecretFileError);
    assert.equal(readFileSync(elsewhere, "utf8"), "untouched");
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.deepEqual(readdirSync(base).sort(), ["elsewhere", "token"]);
  });

  test("a directory is refused with its path named, and no temporary file is left beside it", () => {
    const base = fresh("directory");
    const target = join(base, "out");
    mkdirSync(target);
    assert.throws(
      () => writeSecretFile(target, "secret"),
      (error: unknown) =>
        error instanceof SecretFileError &&
        error.code === "ERR_FILE" &&
        error.exitClass === "input" &&
        error.message.includes(target) &&
        /directory/.test(error.message),
    );
    assert.throws(() => createSecretFile(target, "secret"), SecretFileError);
    assert.deepEqual(readdirSync(base), ["out"]);
    assert.deepEqual(readdirSync(target), []);
  });

  test("a path that cannot be created fails with the system's reason and leaves nothing", () => {
    const base = fresh("failure");
    // The parent of the target is a regular file.
    const blocker = join(base, "blocker");
    writeFileSync(blocker, "");
    assert.throws(() => writeSecretFile(join(blocker, "token"), "secret"), /ENOTDIR|EEXIST/);
    assert.deepEqual(readdirSync(base), ["blocker"]);
  });

  test("create-once: the first writer wins, later ones change nothing and learn so", () => {
    const base = fresh("create");
    const key = join(base, "key");
    assert.equal(createSecretFile(key, "first"), true);
    assert.equal(createSecretFile(key, "second"), false);
    assert.equal(readFileSync(key, "utf8"), "first");
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(base), ["key"]);
  });
});
