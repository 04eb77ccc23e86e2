import { AwsError } from "../wire/errors.js";
import type { QueryParams } from "../wire/params.js";

/**
 * IAM's `MaxItems`/`Marker` paging over an already-sorted list: at most MaxItems (1 to 1000, default
 * 100) items, `IsTruncated` when more follow, and an opaque `Marker` to resume with
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html). The marker is the index to
 * resume at, base64url-encoded; anything else is refused as IAM refuses a marker it did not issue.
 */
export function page<T>(
  params: QueryParams,
  items: readonly T[],
): { items: T[]; IsTruncated: boolean; Marker: string | undefined } {
  const maxItems = params.integer("MaxItems") ?? 100;
  if (maxItems < 1 || maxItems > 1000) {
    throw new AwsError(
      "ValidationError",
      `1 validation error detected: Value '${maxItems}' at 'maxItems' failed to satisfy constraint: Member must have value ${maxItems < 1 ? "greater than or equal to 1" : "less than or equal to 1000"}`,
    );
  }
  const marker = params.string("Marker");
  const start =
    marker === undefined ? 0 : Number.parseInt(Buffer.from(marker, "base64url").toString("utf8"), 10);
  if (!Number.isInteger(start) || start < 0) throw new AwsError("ValidationError", "Invalid Marker.");
  const slice = items.slice(start, start + maxItems);
  const more = start + maxItems < items.length;
  return {
    items: slice,
    IsTruncated: more,
    Marker: more ? Buffer.from(String(start + maxItems)).toString("base64url") : undefined,
  };
}
