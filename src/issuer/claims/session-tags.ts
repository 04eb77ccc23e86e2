import { problem } from "../errors.js";
import type { SessionTagSettings } from "../model.js";

/**
 * AWS session tags in a web-identity token
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_adding-assume-role-idp): the claim
 * `https://aws.amazon.com/tags` = `{principal_tags: {Key: ["value"]}, transitive_tag_keys: [...]}`, with
 * AWS's limits enforced here so a token we sign never fails at STS for its tags.
 */
export const AWS_TAGS_CLAIM = "https://aws.amazon.com/tags";
export const MAX_TAGS = 50;
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;
/** STS `tagKeyType` / `tagValueType`: letters, separators, digits and `_ . : / = + - @`. */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export interface AwsTagsClaim {
  principal_tags: Record<string, [string]>;
  transitive_tag_keys?: string[];
}

const bad = (detail: string, extra?: Record<string, unknown>) =>
  problem("invalid-session-tags", detail, extra);

/** Checks settings when they are saved: key count, length, charset, reserved prefix, case-insensitive uniqueness. */
export function validateTagSettings(settings: SessionTagSettings): void {
  if (settings.keys.length > MAX_TAGS)
    throw bad(`at most ${MAX_TAGS} session tags (AWS's limit), got ${settings.keys.length}`);
  const seen = new Map<string, string>();
  for (const key of settings.keys) {
    if (key.length === 0 || key.length > MAX_TAG_KEY)
      throw bad(`tag key "${key}" must be 1 to ${MAX_TAG_KEY} characters`);
    if (!TAG_CHARS.test(key)) throw bad(`tag key "${key}" has characters AWS does not allow in tag keys`);
    if (key.toLowerCase().startsWith("aws:"))
      throw bad(`tag key "${key}": the aws: prefix is reserved by AWS`);
    const lower = key.toLowerCase();
    const prior = seen.get(lower);
    if (prior !== undefined)
      throw bad(`tag keys "${prior}" and "${key}" differ only in case; AWS treats them as one`);
    seen.set(lower, key);
  }
  for (const key of settings.transitive) {
    if (!settings.keys.includes(key))
      throw bad(`transitive tag key "${key}" is not one of the session tag keys`);
  }
}

/**
 * The tags claim from the token's claims: each configured key takes the claim of the same name. Absent
 * claims are left out (a trust condition on them then fails closed); values AWS would refuse are refused
 * here, never trimmed.
 */
export function buildTagsClaim(
  keys: readonly string[],
  transitive: readonly string[],
  claims: Readonly<Record<string, unknown>>,
): AwsTagsClaim | undefined {
  // A Map and own-member reads: a tag key such as "constructor" or "__proto__" (any string is a valid
  // tag key to IAM) must neither read an inherited member nor set the record's prototype.
  const tags = new Map<string, [string]>();
  for (const key of keys) {
    const value = Object.hasOwn(claims, key) ? claims[key] : undefined;
    if (value === undefined || value === null) continue;
    const text = String(value);
    if (text.length > MAX_TAG_VALUE) {
      throw bad(`session tag ${key} would be ${text.length} characters; AWS allows ${MAX_TAG_VALUE}`, {
        tag: key,
      });
    }
    if (!TAG_CHARS.test(text)) {
      throw bad(`session tag ${key} = "${text}" has characters AWS does not allow in tag values`, {
        tag: key,
      });
    }
    tags.set(key, [text]);
  }
  if (tags.size === 0) return undefined;
  const principal_tags = Object.fromEntries(tags) as Record<string, [string]>;
  const trans = transitive.filter((k) => tags.has(k));
  return trans.length > 0 ? { principal_tags, transitive_tag_keys: trans } : { principal_tags };
}
