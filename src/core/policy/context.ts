import type { RequestContext } from "./types.js";

/**
 * Builds a request context from plain values: key names are case-insensitive in IAM, so they are stored
 * lower-cased; a string is a single value, an array is a multivalued key; undefined leaves the key out.
 * Numbers and booleans become their text, as IAM compares them.
 */
export type ContextInput = Record<
  string,
  string | number | boolean | readonly (string | number | boolean)[] | undefined
>;

export function requestContext(input: ContextInput): RequestContext {
  const context = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    context.set(key.toLowerCase(), Array.isArray(value) ? value.map(String) : [String(value)]);
  }
  return context;
}

/** Adds keys to a context (later wins), keeping the lower-case convention. */
export function withKeys(context: RequestContext, input: ContextInput): RequestContext {
  const merged = new Map(context);
  for (const [key, values] of requestContext(input)) merged.set(key, values);
  return merged;
}
