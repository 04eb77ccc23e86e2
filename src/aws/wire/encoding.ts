/**
 * IAM returns policy documents percent-encoded (`urlencode(json.dumps(doc))`; botocore's
 * `json_decode_policies` undoes it, so the AWS CLI prints JSON). Every byte that is not an RFC 3986
 * unreserved character is encoded: encodeURIComponent plus `!'()*`.
 */
export function encodePolicyDocument(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
