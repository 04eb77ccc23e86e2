import { AwsError } from "../wire/errors.js";
import { Violations } from "../wire/validation.js";
import type { CreateRoleInput, IamModel } from "./model.js";
import { notFound, POLICY_ARN, type PolicyModel } from "./policy-model.js";
import type { PolicyRepository } from "./policy-repository.js";
import type { IamRepository, Role } from "./repository.js";
import { QUOTAS } from "./validation.js";

/**
 * Managed policies on roles: attachments and permissions boundaries, and the role lifecycle calls they
 * change (CreateRole with a boundary, DeleteRole refused while policies are attached):
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachRolePolicy.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePermissionsBoundary.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html.
 */
const notAttachable = (arn: string) =>
  new AwsError("NoSuchEntity", `Policy ${arn} does not exist or is not attachable.`);

export class RolePolicyModel {
  constructor(
    private readonly iam: IamModel,
    private readonly roles: IamRepository,
    private readonly repo: PolicyRepository,
    private readonly policies: PolicyModel,
  ) {}

  async attachRolePolicy(
    account: string,
    roleName: string | undefined,
    arn: string | undefined,
  ): Promise<void> {
    const role = await this.iam.getRole(account, roleName);
    const p = await this.policies.find(account, arn);
    if (!p) throw notAttachable(arn!);
    const attached = await this.repo.attachedToRole(account, role.name);
    if (attached.includes(p.arn)) return;
    if (attached.length >= QUOTAS.managedPoliciesPerRole) {
      throw new AwsError(
        "LimitExceeded",
        `Cannot exceed quota for PoliciesPerRole: ${QUOTAS.managedPoliciesPerRole}`,
      );
    }
    await this.repo.attachToRole(account, role.name, p.arn);
  }

  async detachRolePolicy(
    account: string,
    roleName: string | undefined,
    arn: string | undefined,
  ): Promise<void> {
    const role = await this.iam.getRole(account, roleName);
    const p = await this.policies.find(account, arn);
    if (!p || !(await this.repo.detachFromRole(account, role.name, p.arn))) throw notFound(arn!);
  }

  /** The managed policies attached to a role, optionally only those whose path starts with `pathPrefix`. */
  async attachedRolePolicies(
    account: string,
    roleName: string | undefined,
    pathPrefix: string | undefined,
  ): Promise<{ name: string; arn: string }[]> {
    const role = await this.iam.getRole(account, roleName);
    const out: { name: string; arn: string }[] = [];
    for (const arn of await this.repo.attachedToRole(account, role.name)) {
      const m = POLICY_ARN.exec(arn);
      if (!m || (pathPrefix && !m[2]!.startsWith(pathPrefix))) continue;
      out.push({ name: m[3]!, arn });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Roles the policy is attached to (`PermissionsPolicy`) or bounds (`PermissionsBoundary`). */
  async rolesForPolicy(account: string, arn: string | undefined, usage: string | undefined): Promise<Role[]> {
    const p = await this.policies.getPolicy(account, arn);
    if (usage === "PermissionsBoundary") {
      return (await this.roles.listRoles(account)).filter((r) => r.permissionsBoundary === p.arn);
    }
    const roles: Role[] = [];
    for (const key of await this.repo.rolesAttachedTo(account, p.arn)) {
      const role = await this.roles.getRole(account, key);
      if (role) roles.push(role);
    }
    return roles;
  }

  /** The role, or IAM's NoSuchEntity for it. */
  requireRole(account: string, roleName: string | undefined): Promise<Role> {
    return this.iam.getRole(account, roleName);
  }

  /** CreateRole with its optional PermissionsBoundary, which must name a managed policy that exists. */
  async createRole(account: string, input: CreateRoleInput): Promise<Role> {
    if (input.permissionsBoundary !== undefined) await this.checkBoundary(account, input.permissionsBoundary);
    return this.iam.createRole(account, input);
  }

  async putRoleBoundary(
    account: string,
    roleName: string | undefined,
    arn: string | undefined,
  ): Promise<void> {
    const v = new Violations();
    v.required(arn, "permissionsBoundary");
    v.throwIfAny();
    const role = await this.iam.getRole(account, roleName);
    await this.checkBoundary(account, arn!);
    await this.roles.updateRole({ ...role, permissionsBoundary: arn });
  }

  async deleteRoleBoundary(account: string, roleName: string | undefined): Promise<void> {
    const role = await this.iam.getRole(account, roleName);
    await this.roles.updateRole({ ...role, permissionsBoundary: undefined });
  }

  /**
   * The texts IAM evaluates for a role besides its inline policies: the default version of each attached
   * managed policy, and its permissions boundary's (undefined when it has none). For authorization of the
   * role's sessions (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
   */
  async evaluatedDocuments(role: Role): Promise<{ managed: string[]; boundary: string | undefined }> {
    const managed: string[] = [];
    for (const arn of await this.repo.attachedToRole(role.account, role.name)) {
      const text = await this.policies.defaultDocument(role.account, arn);
      if (text !== undefined) managed.push(text);
    }
    const boundary = role.permissionsBoundary
      ? await this.policies.defaultDocument(role.account, role.permissionsBoundary)
      : undefined;
    return { managed, boundary };
  }

  /** The ARNs of the managed policies attached to a role (for authorization of its sessions). */
  attachedArns(role: Role): Promise<string[]> {
    return this.repo.attachedToRole(role.account, role.name);
  }

  /** DeleteRole, refused while managed policies are attached (API_DeleteRole), then IAM's own rules. */
  async deleteRole(account: string, roleName: string | undefined): Promise<void> {
    const role = await this.iam.getRole(account, roleName);
    if ((await this.repo.attachedToRole(account, role.name)).length > 0) {
      throw new AwsError("DeleteConflict", "Cannot delete entity, must detach all policies first.");
    }
    await this.iam.deleteRole(account, role.name);
  }

  private async checkBoundary(account: string, arn: string): Promise<void> {
    const v = new Violations();
    v.length(arn, "permissionsBoundary", 20, 2048);
    v.throwIfAny();
    if (!(await this.policies.find(account, arn, "permissionsBoundary"))) {
      throw new AwsError("NoSuchEntity", `Scope ARN: ${arn} does not exist or is not attachable.`);
    }
  }
}
