import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IAM_MESSAGES, PolicyError } from "../../../src/core/policy/errors.js";
import { parseJsonStrict } from "../../../src/core/policy/json.js";
import { MAX_JSON_DEPTH } from "../../../src/lib/json.js";

/**
 * The strict JSON reader of policy documents: RFC 8259's grammar (https://www.rfc-editor.org/rfc/rfc8259),
 * plus refusals JSON.parse does not make (duplicate member names), each a MalformedPolicyDocument that says
 * where (line and column, both from 1).
 */
function refuses(text: string, detail: string, awsMessage: string = IAM_MESSAGES.invalidJson) {
  assert.throws(
    () => parseJsonStrict(text),
    (error: unknown) => {
      assert.ok(error instanceof PolicyError, `expected PolicyError, got ${error}`);
      assert.equal(error.awsMessage, awsMessage);
      assert.equal(error.detail, detail);
      return true;
    },
    JSON.stringify(text),
  );
}

describe("parseJsonStrict: what it reads", () => {
  test("every JSON value, with the same result as JSON.parse", () => {
    for (const text of [
      "true",
      "false",
      "null",
      "0",
      "-0",
      "12",
      "-3.25",
      "1e3",
      "1E-2",
      "2.5e+2",
      "1e10",
      "-0.5E-12",
      '""',
      '"a\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00"',
      '"é😀"',
      "[]",
      "{}",
      "[1,[2,[3]],{}]",
      '{"a":{"b":[true,false,null]},"c":"d"}',
    ]) {
      assert.deepEqual(parseJsonStrict(text), JSON.parse(text), text);
    }
  });

  test("the four JSON whitespace characters anywhere between tokens", () => {
    const text =
      ' \t\r\n{ \t\r\n"a" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n, "b":{ } , "c":[ ] } \t\r\n';
    assert.deepEqual(parseJsonStrict(text), { a: [1, 2], b: {}, c: [] });
  });

  test("other white space is not JSON whitespace", () => {
    refuses('\u00a0{"a":1}', "unexpected U+00A0 (a no-break space) at line 1, column 1");
    refuses(
      '\ufeff{"a":1}',
      "unexpected U+FEFF, a byte-order mark at the start of the file (save the policy as UTF-8 without BOM) at line 1, column 1",
    );
    refuses('{"a":\u200b1}', "unexpected U+200B at line 1, column 6");
    refuses('{"a":1}\f', 'unexpected "\\f" after the document at line 1, column 8');
    refuses('{"a":\v1}', 'unexpected "\\u000b" at line 1, column 6');
  });

  test("members in document order, __proto__ an ordinary own member", () => {
    const parsed = parseJsonStrict('{"z":1,"a":2,"__proto__":{"x":1},"m":3}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ["z", "a", "__proto__", "m"]);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(parsed, "__proto__"), {
      value: { x: 1 },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
});

describe("parseJsonStrict: what it refuses, and where", () => {
  test("duplicate member names, at the second one (IAM: Syntax errors in policy.)", () => {
    refuses('{"a":1,\n  "a":2}', 'duplicate member "a" at line 2, column 3', IAM_MESSAGES.syntax);
    refuses('{"o":{"k":1,"k":1}}', 'duplicate member "k" at line 1, column 13', IAM_MESSAGES.syntax);
    // Lines after the place do not count.
    refuses('{"a":1,\n"a":2\n}\n', 'duplicate member "a" at line 2, column 1', IAM_MESSAGES.syntax);
    // The same name in different objects is fine.
    assert.deepEqual(parseJsonStrict('[{"a":1},{"a":2}]'), [{ a: 1 }, { a: 2 }]);
  });

  test("missing separators and trailing commas", () => {
    refuses("[1 2]", 'unexpected "2", expected "," or "]" at line 1, column 4');
    refuses('{"a":1 "b":2}', 'unexpected "\\"", expected "," or "}" at line 1, column 8');
    refuses("[1,]", 'unexpected "]" at line 1, column 4');
    refuses('{"a":1,}', 'unexpected "}", expected a member name at line 1, column 8');
    refuses('{"a" 1}', 'unexpected "1", expected ":" at line 1, column 6');
    refuses("{a:1}", 'unexpected "a", expected a member name at line 1, column 2');
    refuses("[1", 'unexpected end of input, expected "," or "]" at line 1, column 3');
    refuses('{"a":1', 'unexpected end of input, expected "," or "}" at line 1, column 7');
    refuses("{", "unexpected end of input, expected a member name at line 1, column 2");
    refuses('{"a"', 'unexpected end of input, expected ":" at line 1, column 5');
  });

  test("line and column count from 1, columns restart after each newline", () => {
    refuses('{\n  "a": tru\n}', 'unexpected "t" at line 2, column 8');
    refuses("\n\n\n  x", 'unexpected "x" at line 4, column 3');
    refuses("", "unexpected end of input at line 1, column 1");
    refuses("   ", "unexpected end of input at line 1, column 4");
  });

  test("literals must be spelled out", () => {
    refuses("tru", 'unexpected "t" at line 1, column 1');
    refuses("nul", 'unexpected "n" at line 1, column 1');
    refuses("fals", 'unexpected "f" at line 1, column 1');
    refuses("True", 'unexpected "T" at line 1, column 1');
    refuses("undefined", 'unexpected "u" at line 1, column 1');
  });

  test("numbers: RFC 8259's grammar, nothing more", () => {
    refuses("-", 'unexpected "-" at line 1, column 1');
    refuses("01", 'unexpected "1" after the document at line 1, column 2');
    refuses("1.", 'unexpected "." after the document at line 1, column 2');
    refuses("+1", 'unexpected "+" at line 1, column 1');
    refuses(".5", 'unexpected "." at line 1, column 1');
    refuses("1e", 'unexpected "e" after the document at line 1, column 2');
    refuses("[-x]", 'unexpected "-" at line 1, column 2');
    refuses("-a1", 'unexpected "-" at line 1, column 1');
    assert.deepEqual(parseJsonStrict("[9]"), [9]);
    // A number is read in one piece of at most 400 characters.
    assert.equal(parseJsonStrict(`0.${"1".repeat(398)}`), Number(`0.${"1".repeat(398)}`));
    refuses(`0.${"1".repeat(399)}`, 'unexpected "1" after the document at line 1, column 401');
  });

  test("strings: terminated, no raw control characters, valid escapes", () => {
    refuses('"abc', "unterminated string at line 1, column 1");
    refuses('{"a":"b', "unterminated string at line 1, column 6");
    refuses('"ab\\"', "unterminated string at line 1, column 1");
    refuses('"a\u0001b"', "control character in string at line 1, column 3");
    refuses('"a\nb"', "control character in string at line 1, column 3");
    refuses('"a\u001fb"', "control character in string at line 1, column 3");
    assert.equal(parseJsonStrict('" ~\u007f"'), " ~\u007f");
    refuses('"a\\x"', "invalid escape in string at line 1, column 1");
    refuses('"\\u12"', "invalid escape in string at line 1, column 1");
  });

  test("one document: anything after it is refused", () => {
    refuses("{} x", 'unexpected "x" after the document at line 1, column 4');
    refuses("{}{}", 'unexpected "{" after the document at line 1, column 3');
    assert.deepEqual(parseJsonStrict("{}\n"), {});
  });

  test(`nesting: ${MAX_JSON_DEPTH} levels of arrays or objects, not one more`, () => {
    const arrays = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    const objects = (n: number) => `${'{"a":'.repeat(n - 1)}{}${"}".repeat(n - 1)}`;
    assert.doesNotThrow(() => parseJsonStrict(arrays(MAX_JSON_DEPTH)));
    assert.doesNotThrow(() => parseJsonStrict(objects(MAX_JSON_DEPTH)));
    refuses(
      arrays(MAX_JSON_DEPTH + 1),
      `nesting deeper than ${MAX_JSON_DEPTH} levels at line 1, column ${MAX_JSON_DEPTH + 1}`,
    );
    // Depth is nesting, not a count of containers: many siblings at one level are fine.
    assert.doesNotThrow(() =>
      parseJsonStrict(`[${Array.from({ length: 3 * MAX_JSON_DEPTH }, () => "[]").join(",")}]`),
    );
    assert.doesNotThrow(() =>
      parseJsonStrict(`[${Array.from({ length: 3 }, () => arrays(MAX_JSON_DEPTH - 1)).join(",")}]`),
    );
  });
});
