/**
 * The timestamp form AWS writes and its condition keys hold: ISO 8601 in UTC to the second,
 * `2024-01-01T00:00:00Z` (aws:CurrentTime, aws:TokenIssueTime, credentials' Expiration, IAM CreateDate;
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-currenttime).
 * `ms` is milliseconds since the epoch; the fraction of a second is dropped (not rounded).
 */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
