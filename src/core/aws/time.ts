/** isoSeconds' last answer: the second (ms / 1000, floored) and its text. */
let lastSecond = Number.NaN;
let lastText = "";

/**
 * The timestamp form AWS writes and its condition keys hold: ISO 8601 in UTC to the second,
 * `2024-01-01T00:00:00Z` (aws:CurrentTime, aws:TokenIssueTime, credentials' Expiration, IAM CreateDate;
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-currenttime).
 * `ms` is milliseconds since the epoch; the fraction of a second is dropped (not rounded).
 */
export function isoSeconds(ms: number): string {
  // One call builds a Date and a 24-character string (about 1 µs); a burst of calls asks for the same
  // second several times each (condition keys, Expiration, the decision log's eventTime), so the last
  // second's text is kept.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = `${new Date(ms).toISOString().slice(0, 19)}Z`;
    lastSecond = second;
  }
  return lastText;
}
