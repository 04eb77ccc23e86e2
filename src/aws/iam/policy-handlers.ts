import { type Caller, callerAccount } from "../credentials/caller.js";
import { encodePolicyDocument } from "../wire/encoding.js";
import type { QueryAction } from "../wire/endpoint.js";
import type { QueryParams } from "../wire/params.js";
import { members, type XmlStruct } from "../wire/xml.js";
import { page } from "./paging.js";
import type { PolicyModel, PolicyView } from "./policy-model.js";
import type { PolicyVersion } from "./policy-repository.js";
import type { Role, Tag } from "./repository.js";
import type { RolePolicyModel } from "./role-policies.js";

/**
 * The wire of managed policies, attachments, boundaries and instance profiles: form parameters in, XML
 * out, shaped as the IAM API reference gives each response
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html).
 */

const tagList = (tags: readonly Tag[]) => members(tags.map((t) => ({ Key: t.Key, Value: t.Value })));

/** The `Policy` structure (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html). */
export function policyXml(
  p: PolicyView,
  usage: { attachments: number; boundaries: number } | undefined,
  detail: boolean,
): XmlStruct {
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersion,
    AttachmentCount: usage?.attachments ?? 0,
    PermissionsBoundaryUsageCount: usage?.boundaries ?? 0,
    IsAttachable: true,
    // ListPolicies leaves out Description and Tags (API_ListPolicies); GetPolicy and CreatePolicy carry them.
    Description: detail ? p.description : undefined,
    CreateDate: p.createdAt,
    UpdateDate: p.updatedAt,
    Tags: detail && p.tags.length > 0 ? tagList(p.tags) : undefined,
  };
}

/** `PolicyVersion`; the document only where the API returns it (GetPolicyVersion, account details). */
export function versionXml(v: PolicyVersion, isDefault: boolean, withDocument: boolean): XmlStruct {
  return {
    Document: withDocument ? encodePolicyDocument(v.document) : undefined,
    VersionId: v.versionId,
    IsDefaultVersion: isDefault,
    CreateDate: v.createdAt,
  };
}

const flag = (p: QueryParams, name: string) => p.string(name)?.toLowerCase() === "true";

/** Actions over PolicyModel; `roleXml` renders a role as the role handlers do. */
export function policyActions(
  policies: PolicyModel,
  roles: RolePolicyModel,
  roleXml: (role: Role) => XmlStruct,
): Record<string, QueryAction<Caller>> {
  const act = (
    run: (p: QueryParams, account: string) => Promise<XmlStruct | undefined>,
  ): QueryAction<Caller> => ({ run: (p, c) => run(p, callerAccount(c.caller)) });
  const done = async (work: Promise<void>) => {
    await work;
    return undefined;
  };
  const usageOf = async (account: string, arn: string) => (await policies.usage(account)).get(arn);

  return {
    CreatePolicy: act(async (p, account) => {
      const policy = await policies.createPolicy(account, {
        name: p.string("PolicyName"),
        path: p.string("Path"),
        document: p.string("PolicyDocument"),
        description: p.string("Description"),
        tags: p.tags("Tags"),
      });
      return { Policy: policyXml(policy, undefined, true) };
    }),
    GetPolicy: act(async (p, account) => {
      const policy = await policies.getPolicy(account, p.string("PolicyArn"));
      return { Policy: policyXml(policy, await usageOf(account, policy.arn), true) };
    }),
    ListPolicies: act(async (p, account) => {
      const all = await policies.listPolicies(account, {
        scope: p.string("Scope"),
        onlyAttached: flag(p, "OnlyAttached"),
        pathPrefix: p.string("PathPrefix"),
        usage: p.string("PolicyUsageFilter"),
      });
      const usage = await policies.usage(account);
      const { items, IsTruncated, Marker } = page(p, all);
      return {
        Policies: members(items.map((x) => policyXml(x, usage.get(x.arn), false))),
        IsTruncated,
        Marker,
      };
    }),
    DeletePolicy: act((p, account) => done(policies.deletePolicy(account, p.string("PolicyArn")))),
    TagPolicy: act((p, account) => done(policies.tagPolicy(account, p.string("PolicyArn"), p.tags("Tags")))),
    UntagPolicy: act((p, account) =>
      done(policies.untagPolicy(account, p.string("PolicyArn"), p.list("TagKeys"))),
    ),
    ListPolicyTags: act(async (p, account) => {
      const policy = await policies.getPolicy(account, p.string("PolicyArn"));
      const { items, IsTruncated, Marker } = page(p, policy.tags);
      return { Tags: tagList(items), IsTruncated, Marker };
    }),

    CreatePolicyVersion: act(async (p, account) => {
      const { version, isDefault } = await policies.createVersion(
        account,
        p.string("PolicyArn"),
        p.string("PolicyDocument"),
        flag(p, "SetAsDefault"),
      );
      return { PolicyVersion: versionXml(version, isDefault, false) };
    }),
    GetPolicyVersion: act(async (p, account) => {
      const arn = p.string("PolicyArn");
      const version = await policies.getVersion(account, arn, p.string("VersionId"));
      const policy = await policies.getPolicy(account, arn);
      return { PolicyVersion: versionXml(version, version.versionId === policy.defaultVersion, true) };
    }),
    ListPolicyVersions: act(async (p, account) => {
      const { policy, versions } = await policies.listVersions(account, p.string("PolicyArn"));
      const { items, IsTruncated, Marker } = page(p, versions);
      return {
        Versions: members(items.map((v) => versionXml(v, v.versionId === policy.defaultVersion, false))),
        IsTruncated,
        Marker,
      };
    }),
    DeletePolicyVersion: act((p, account) =>
      done(policies.deleteVersion(account, p.string("PolicyArn"), p.string("VersionId"))),
    ),
    SetDefaultPolicyVersion: act((p, account) =>
      done(policies.setDefaultVersion(account, p.string("PolicyArn"), p.string("VersionId"))),
    ),

    AttachRolePolicy: act((p, account) =>
      done(roles.attachRolePolicy(account, p.string("RoleName"), p.string("PolicyArn"))),
    ),
    DetachRolePolicy: act((p, account) =>
      done(roles.detachRolePolicy(account, p.string("RoleName"), p.string("PolicyArn"))),
    ),
    ListAttachedRolePolicies: act(async (p, account) => {
      const attached = await roles.attachedRolePolicies(
        account,
        p.string("RoleName"),
        p.string("PathPrefix"),
      );
      const { items, IsTruncated, Marker } = page(p, attached);
      return {
        AttachedPolicies: members(items.map((a) => ({ PolicyName: a.name, PolicyArn: a.arn }))),
        IsTruncated,
        Marker,
      };
    }),
    ListEntitiesForPolicy: act(async (p, account) => {
      // The emulator has roles only: users and groups are always empty lists.
      const filter = p.string("EntityFilter");
      const all = await roles.rolesForPolicy(account, p.string("PolicyArn"), p.string("PolicyUsageFilter"));
      const found = filter === undefined || filter === "Role" ? all : [];
      const { items, IsTruncated, Marker } = page(p, found);
      return {
        PolicyGroups: members([]),
        PolicyUsers: members([]),
        PolicyRoles: members(items.map((r) => ({ RoleName: r.name, RoleId: r.id }))),
        IsTruncated,
        Marker,
      };
    }),

    CreateRole: act(async (p, account) => ({
      Role: roleXml(
        await roles.createRole(account, {
          name: p.string("RoleName"),
          path: p.string("Path"),
          trustPolicy: p.string("AssumeRolePolicyDocument"),
          description: p.string("Description"),
          maxSessionDuration: p.integer("MaxSessionDuration"),
          tags: p.tags("Tags"),
          permissionsBoundary: p.string("PermissionsBoundary"),
        }),
      ),
    })),
    DeleteRole: act((p, account) => done(roles.deleteRole(account, p.string("RoleName")))),
    PutRolePermissionsBoundary: act((p, account) =>
      done(roles.putRoleBoundary(account, p.string("RoleName"), p.string("PermissionsBoundary"))),
    ),
    DeleteRolePermissionsBoundary: act((p, account) =>
      done(roles.deleteRoleBoundary(account, p.string("RoleName"))),
    ),
    // The emulator has no instance profiles (EC2 is not emulated): a role is in none. Terraform asks when it
    // deletes a role (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListInstanceProfilesForRole.html).
    ListInstanceProfilesForRole: act(async (p, account) => {
      await roles.requireRole(account, p.string("RoleName"));
      return { InstanceProfiles: members([]), IsTruncated: false };
    }),
  };
}
