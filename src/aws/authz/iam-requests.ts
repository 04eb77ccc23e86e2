import { oidcProviderArn, roleArn } from "../../core/aws/arn.js";
import type { ContextInput } from "../../core/policy/index.js";
import type { IamRepository, Role } from "../iam/repository.js";
import type { QueryParams } from "../wire/params.js";

/**
 * What IAM authorizes for each of its actions: the resource ARN and the action-specific condition keys,
 * from the Service Authorization Reference for IAM
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html)
 * and the tagging keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html):
 * `aws:RequestTag/*` and `aws:TagKeys` for calls that set or remove tags, `aws:ResourceTag/*` for calls on
 * an existing role, `iam:PermissionsBoundary` for calls that set or depend on a role's boundary,
 * `iam:PolicyARN` for attaching and detaching. `iam:PassedToService` belongs to `iam:PassRole`, which no
 * IAM or STS action performs, so it never appears here.
 */
export interface IamRequest {
  readonly resource: string;
  readonly context: ContextInput;
}

const ROLE_ACTIONS = new Set([
  "CreateRole",
  "GetRole",
  "UpdateRole",
  "UpdateRoleDescription",
  "UpdateAssumeRolePolicy",
  "TagRole",
  "UntagRole",
  "ListRoleTags",
  "PutRolePolicy",
  "GetRolePolicy",
  "ListRolePolicies",
  "DeleteRolePolicy",
  "DeleteRole",
  "AttachRolePolicy",
  "DetachRolePolicy",
  "ListAttachedRolePolicies",
  "PutRolePermissionsBoundary",
  "DeleteRolePermissionsBoundary",
  "ListInstanceProfilesForRole",
]);
/** Actions whose iam:PermissionsBoundary is the role's boundary (the one in the request for Create/Put). */
const BOUNDARY_KEY = new Set([
  "CreateRole",
  "PutRolePermissionsBoundary",
  "DeleteRolePermissionsBoundary",
  "AttachRolePolicy",
  "DetachRolePolicy",
  "PutRolePolicy",
  "DeleteRolePolicy",
]);
const POLICY_ARN_KEY = new Set(["AttachRolePolicy", "DetachRolePolicy"]);
const TAGGING = new Set([
  "CreateRole",
  "TagRole",
  "CreatePolicy",
  "TagPolicy",
  "CreateOpenIDConnectProvider",
  "TagOpenIDConnectProvider",
]);
const UNTAGGING = new Set(["UntagRole", "UntagPolicy", "UntagOpenIDConnectProvider"]);

const normalPath = (path: string | undefined) => (path === undefined || path === "" ? "/" : path);

/** Describes one IAM call for authorization. Malformed parameters give a best-effort ARN (the action's own
 * validation then answers), never an error. */
export async function iamRequest(
  action: string,
  p: QueryParams,
  account: string,
  roles: IamRepository,
): Promise<IamRequest> {
  const context: ContextInput = {};
  let resource = "*";
  let role: Role | undefined;
  if (ROLE_ACTIONS.has(action)) {
    const name = p.string("RoleName") ?? "";
    if (action === "CreateRole") {
      resource = roleArn({ account, path: normalPath(p.string("Path")), name });
    } else {
      role = name === "" ? undefined : await roles.getRole(account, name);
      resource = role ? roleArn(role) : roleArn({ account, name });
      for (const t of role?.tags ?? []) context[`aws:ResourceTag/${t.Key}`] = t.Value;
    }
  } else if (action === "CreatePolicy") {
    resource = `arn:aws:iam::${account}:policy${normalPath(p.string("Path"))}${p.string("PolicyName") ?? ""}`;
  } else if (action === "CreateOpenIDConnectProvider") {
    resource = oidcProviderArn(account, (p.string("Url") ?? "").replace(/^https:\/\//i, ""));
  } else {
    resource = p.string("PolicyArn") ?? p.string("OpenIDConnectProviderArn") ?? "*";
  }
  if (BOUNDARY_KEY.has(action)) {
    const boundary =
      action === "CreateRole" || action === "PutRolePermissionsBoundary"
        ? p.string("PermissionsBoundary")
        : role?.permissionsBoundary;
    if (boundary !== undefined) context["iam:PermissionsBoundary"] = boundary;
  }
  if (POLICY_ARN_KEY.has(action)) context["iam:PolicyARN"] = p.string("PolicyArn");
  if (TAGGING.has(action)) {
    const tags = p.tags("Tags") ?? [];
    for (const t of tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
    if (tags.length > 0) context["aws:TagKeys"] = tags.map((t) => t.Key);
  }
  if (UNTAGGING.has(action)) {
    const keys = p.list("TagKeys") ?? [];
    if (keys.length > 0) context["aws:TagKeys"] = keys;
  }
  return { resource, context };
}
