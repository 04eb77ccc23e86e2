import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { findPoisonedMember, parseJson } from "../../../src/lib/json.js";

describe("parseJson: JSON from outside keyless", () => {
  test("reads ordinary JSON like JSON.parse", () => {
    assert.deepEqual(parseJson('{"a":[1,{"b":null}],"constructor":"x"}'), {
      a: [1, { b: null }],
      constructor: "x",
    });
  });

  test("refuses __proto__ at any depth, naming the member", () => {
    assert.throws(() => parseJson('{"__proto__":{"x":1}}'), {
      name: "SyntaxError",
      message: /\$\.__proto__/,
    });
    assert.throws(() => parseJson('{"a":[{"b":{"__proto__":{}}}]}'), {
      name: "SyntaxError",
      message: /\$\.a\[0\]\.b\.__proto__/,
    });
  });

  test("refuses constructor.prototype, allows a constructor member without prototype", () => {
    assert.throws(() => parseJson('{"constructor":{"prototype":{"x":1}}}'), /\$\.constructor\.prototype/);
    assert.deepEqual(parseJson('{"constructor":{"name":"x"}}'), { constructor: { name: "x" } });
  });

  test("text that is not JSON still throws JSON.parse's SyntaxError", () => {
    assert.throws(() => parseJson("{"), SyntaxError);
  });

  test("a deeply nested document does not overflow the stack", () => {
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    assert.equal(findPoisonedMember(JSON.parse(deep)), undefined);
  });

  test("nothing leaks into Object.prototype", () => {
    assert.throws(() => parseJson('{"__proto__":{"polluted":true}}'));
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });
});
