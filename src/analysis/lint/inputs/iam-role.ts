import { isRecord, LintInputError, type TrustPolicySource } from "./types.js";

/**
 * `aws iam get-role` output (`{"Role": {...}}`) and `aws iam list-roles` output (`{"Roles": [...]}`).
 * The CLI decodes AssumeRolePolicyDocument into an object; the raw Query API returns it URL-encoded,
 * so a string is decoded too.
 */
export function isIamRoleDocument(doc: Record<string, unknown>): boolean {
  return isRecord(doc.Role) || (Array.isArray(doc.Roles) && doc.Roles.every(isRecord));
}

export function readIamRoles(file: string, doc: Record<string, unknown>): TrustPolicySource[] {
  const roles = isRecord(doc.Role) ? [doc.Role] : (doc.Roles as Record<string, unknown>[]);
  return roles.map((role, i) => {
    const name = typeof role.RoleName === "string" ? role.RoleName : `Roles[${i}]`;
    const document = role.AssumeRolePolicyDocument;
    if (document === undefined || document === null)
      throw new LintInputError(`${file}: role ${name} has no AssumeRolePolicyDocument`);
    const policy = typeof document === "string" ? decodePolicyString(document) : (document as object);
    const max = role.MaxSessionDuration;
    const pointer = isRecord(doc.Role)
      ? ["Role", "AssumeRolePolicyDocument"]
      : ["Roles", i, "AssumeRolePolicyDocument"];
    return {
      file,
      location: name,
      policy,
      pointer,
      ...(typeof max === "number" ? { maxSessionDuration: max } : {}),
    };
  });
}

/** A policy document as IAM's API returns it: RFC 3986 percent-encoded JSON (or already plain JSON). */
export function decodePolicyString(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return trimmed;
  try {
    return decodeURIComponent(trimmed.replace(/\+/g, " "));
  } catch {
    return trimmed;
  }
}
