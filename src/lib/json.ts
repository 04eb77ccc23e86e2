/**
 * JSON from outside keyless (files named on the command line, configuration, HTTP bodies from CI
 * platforms and OpenID providers) read so that no member can reach an object's prototype later.
 *
 * JSON.parse itself defines every member as an own data property, so `{"__proto__": …}` does not change
 * the parsed object's prototype; but the moment such a value is merged (`Object.assign`, `target[k] = v`)
 * the member becomes the target's prototype ("prototype poisoning"). The safe answer, and Fastify's own
 * default for request bodies (`onProtoPoisoning: "error"`, `onConstructorPoisoning: "error"`, through
 * secure-json-parse: https://fastify.dev/docs/latest/Reference/Server/#onprotopoisoning), is to refuse
 * such documents outright. Trust policies are not read here: the policy engine's own reader keeps those
 * members so that IAM's answer (MalformedPolicyDocument) can be given.
 */

/**
 * The deepest nesting of arrays and objects keyless reads from outside (policy documents, lint inputs,
 * configuration, HTTP bodies). Readers that recurse stay far from the stack's limit (a few thousand
 * frames), and no legitimate document comes near it: IAM's policy grammar nests six levels
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html), a Terraform plan
 * a few tens. AWS documents no nesting limit; see docs/aws-behaviour.md#emulator-choices.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * Parses `text` as JSON and refuses a document holding a `__proto__` member, or a `constructor` member
 * whose value is an object with a `prototype` member, at any depth, or nested deeper than MAX_JSON_DEPTH.
 * @throws SyntaxError for text that is not JSON (from JSON.parse), for a poisoned document, with the
 *   path of the offending member (`$.a.__proto__`), and for one nested too deep, with the path where it
 *   goes past the limit, so callers that report invalid JSON report all three.
 */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  const poisoned = findPoisonedMember(value);
  if (poisoned !== undefined) throw new SyntaxError(`forbidden member ${poisoned}`);
  const deep = findTooDeep(value);
  if (deep !== undefined) throw new SyntaxError(`nesting deeper than ${MAX_JSON_DEPTH} levels at ${deep}`);
  return value;
}

/**
 * The path (`$.a[0].__proto__`) of the first `__proto__` or `constructor.prototype` member in a parsed
 * JSON value, or undefined when there is none. Iterative, so a deeply nested document cannot overflow
 * the stack.
 */
export function findPoisonedMember(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, "$"]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) stack.push([item, `${path}[${index}]`]);
      continue;
    }
    if (Object.hasOwn(node, "__proto__")) return `${path}.__proto__`;
    const ctor = Object.hasOwn(node, "constructor")
      ? (node as { constructor: unknown }).constructor
      : undefined;
    if (typeof ctor === "object" && ctor !== null && Object.hasOwn(ctor, "prototype"))
      return `${path}.constructor.prototype`;
    for (const [key, child] of Object.entries(node)) stack.push([child, `${path}.${key}`]);
  }
  return undefined;
}

/**
 * The path of the first array or object nested deeper than `limit` levels (the top-level value is level
 * 1), or undefined when there is none. Iterative, like findPoisonedMember: it is the guard for readers
 * that recurse (the policy engine, lint's intrinsic-function folding), so it must not recurse itself.
 */
export function findTooDeep(value: unknown, limit = MAX_JSON_DEPTH): string | undefined {
  const stack: [unknown, string, number][] = [[value, "$", 1]];
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth > limit) return path;
    const children = Array.isArray(node)
      ? node.map((item, index): [unknown, string] => [item, `${path}[${index}]`])
      : Object.entries(node).map(([key, child]): [unknown, string] => [child, `${path}.${key}`]);
    for (const [child, childPath] of children) stack.push([child, childPath, depth + 1]);
  }
  return undefined;
}
