import { parseRootArn } from "../aws/arn.js";
import { isAccountId } from "../aws/identifiers.js";
import type { PrincipalBlock, RequestPrincipal } from "./types.js";

/**
 * How a statement's principal admitted the caller. The kind matters to the caller of the engine:
 * `account` ("AWS": "123456789012" or its root ARN) delegates to the account, so the caller's own
 * identity policies must also allow the action (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
 */
export type PrincipalMatch =
  | { readonly matched: false; readonly reason: string }
  | { readonly matched: true; readonly via: "any" | "account" | "exact" | "role"; readonly reason: string };

export function matchPrincipal(block: PrincipalBlock, principal: RequestPrincipal): PrincipalMatch {
  if (block.kind === "any") return { matched: true, via: "any", reason: 'Principal "*" admits every caller' };
  const describe = describePrincipal(principal);
  if (principal.type === "Anonymous")
    return { matched: false, reason: "an anonymous caller matches no named principal" };
  if (principal.type === "Federated") {
    const ids = block.entries.get("Federated") ?? [];
    if (ids.includes(principal.id))
      return { matched: true, via: "exact", reason: `Federated ${principal.id}` };
    return {
      matched: false,
      reason: ids.length
        ? `the token's provider is ${principal.id}; the statement trusts ${ids.join(", ")}`
        : `the statement names no Federated principal, and the caller is ${describe}`,
    };
  }
  if (principal.type === "Service") {
    const ids = block.entries.get("Service") ?? [];
    return ids.includes(principal.id)
      ? { matched: true, via: "exact", reason: `Service ${principal.id}` }
      : { matched: false, reason: `the caller is ${describe}; the statement does not name it` };
  }
  const ids = block.entries.get("AWS") ?? [];
  for (const id of ids) {
    if (id === "*") return { matched: true, via: "any", reason: '"AWS": "*" admits every AWS principal' };
    const account = isAccountId(id) ? id : parseRootArn(id)?.account;
    if (account !== undefined) {
      if (account === principal.account) {
        return {
          matched: true,
          via: "account",
          reason: `account ${account} (its identity policies must also allow)`,
        };
      }
      continue;
    }
    if (id === principal.arn) return { matched: true, via: "exact", reason: `AWS ${id}` };
    if (principal.roleArn !== undefined && id === principal.roleArn) {
      return { matched: true, via: "role", reason: `AWS ${id} (a session of that role)` };
    }
  }
  return {
    matched: false,
    reason: ids.length
      ? `the caller is ${describe}; the statement trusts ${ids.join(", ")}`
      : `the statement names no AWS principal, and the caller is ${describe}`,
  };
}

export function describePrincipal(principal: RequestPrincipal): string {
  switch (principal.type) {
    case "Federated":
      return `Federated ${principal.id}`;
    case "Service":
      return `Service ${principal.id}`;
    case "AWS":
      return principal.arn;
    case "Anonymous":
      return "anonymous";
  }
}
