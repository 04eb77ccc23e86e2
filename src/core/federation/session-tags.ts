/**
 * Session tags carried by a web identity token (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html), nested
 *   "https://aws.amazon.com/tags": {"principal_tags": {"K": ["v"]}, "transitive_tag_keys": ["K"]}
 * or flattened ("https://aws.amazon.com/tags/principal_tags/K": "v", ".../transitive_tag_keys": [...]).
 * The limits are AWS's: at most 50 tags, keys 1–128 and values 0–256 characters of
 * [\p{L}\p{Z}\p{N}_.:/=+\-@], keys unique ignoring case, no `aws:` prefix, one value per key, and
 * transitive keys among the tags.
 */
export const TAGS_CLAIM = "https://aws.amazon.com/tags";
const FLAT_TAG_PREFIX = `${TAGS_CLAIM}/principal_tags/`;
const FLAT_TRANSITIVE = `${TAGS_CLAIM}/transitive_tag_keys`;

export const TAG_LIMITS = { count: 50, keyLength: 128, valueLength: 256 } as const;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export interface SessionTags {
  /** In the token's order, with the key's spelling as sent. */
  readonly tags: readonly { readonly key: string; readonly value: string }[];
  readonly transitiveKeys: readonly string[];
}

/** A tag problem, with the STS code and message the emulator returns for it. */
export interface TagError {
  readonly code: "InvalidIdentityToken" | "InvalidParameterValue";
  readonly message: string;
}

export type TagsResult = { ok: true; tags: SessionTags | undefined } | { ok: false; error: TagError };

const malformed = (what: string): TagsResult => ({
  ok: false,
  error: { code: "InvalidIdentityToken", message: `The session tags claim is malformed: ${what}` },
});

/** Whether the token carries session tags at all (which makes sts:TagSession required). */
export function hasTagsClaim(claims: Readonly<Record<string, unknown>>): boolean {
  return Object.keys(claims).some((k) => k === TAGS_CLAIM || k.startsWith(`${TAGS_CLAIM}/`));
}

export function sessionTagsFromClaims(claims: Readonly<Record<string, unknown>>): TagsResult {
  if (!hasTagsClaim(claims)) return { ok: true, tags: undefined };
  const tags: { key: string; value: string }[] = [];
  let transitive: unknown;
  const nested = claims[TAGS_CLAIM];
  if (nested !== undefined) {
    if (typeof nested !== "object" || nested === null || Array.isArray(nested))
      return malformed("it must be an object");
    const { principal_tags: principalTags, transitive_tag_keys: keys } = nested as Record<string, unknown>;
    if (principalTags !== undefined) {
      if (typeof principalTags !== "object" || principalTags === null || Array.isArray(principalTags)) {
        return malformed("principal_tags must be an object");
      }
      for (const [key, value] of Object.entries(principalTags)) {
        // "You must pass a single value for each session tag": an array of exactly one string.
        const single = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
        if (typeof single !== "string") return malformed(`tag "${key}" must have exactly one string value`);
        tags.push({ key, value: single });
      }
    }
    transitive = keys;
  }
  for (const [claim, value] of Object.entries(claims)) {
    if (!claim.startsWith(FLAT_TAG_PREFIX)) continue;
    const single = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
    const key = claim.slice(FLAT_TAG_PREFIX.length);
    if (typeof single !== "string") return malformed(`tag "${key}" must have exactly one string value`);
    tags.push({ key, value: single });
  }
  transitive ??= claims[FLAT_TRANSITIVE];
  let transitiveKeys: string[] = [];
  if (transitive !== undefined) {
    if (!Array.isArray(transitive) || !transitive.every((k) => typeof k === "string")) {
      return malformed("transitive_tag_keys must be an array of strings");
    }
    transitiveKeys = transitive;
  }
  const problem = validateSessionTags(tags, transitiveKeys);
  return problem ? { ok: false, error: problem } : { ok: true, tags: { tags, transitiveKeys } };
}

/** AWS's tag rules, shared by the token path and AssumeRole's Tags parameter. */
export function validateSessionTags(
  tags: readonly { key: string; value: string }[],
  transitiveKeys: readonly string[],
): TagError | undefined {
  const invalid = (message: string): TagError => ({ code: "InvalidParameterValue", message });
  if (tags.length > TAG_LIMITS.count) {
    return invalid(`The number of session tags (${tags.length}) exceeds the limit of ${TAG_LIMITS.count}.`);
  }
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length < 1 || key.length > TAG_LIMITS.keyLength || !TAG_CHARS.test(key)) {
      return invalid(
        `The tag key "${truncate(key)}" is invalid: keys are 1 to 128 characters of letters, digits, spaces and _.:/=+-@.`,
      );
    }
    if (key.toLowerCase().startsWith("aws:"))
      return invalid(`The tag key "${key}" uses the reserved prefix aws:.`);
    if (value.length > TAG_LIMITS.valueLength || !TAG_CHARS.test(value)) {
      return invalid(
        `The value of tag "${key}" is invalid: values are 0 to 256 characters of letters, digits, spaces and _.:/=+-@.`,
      );
    }
    const lower = key.toLowerCase();
    if (seen.has(lower))
      return invalid("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(lower);
  }
  for (const key of transitiveKeys) {
    if (!seen.has(key.toLowerCase()))
      return invalid("The specified transitive tag key must be included in the requested tags.");
  }
  return undefined;
}

const truncate = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);
