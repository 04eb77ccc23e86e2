import { type Caller, callerAccount } from "../credentials/caller.js";
import { encodePolicyDocument } from "../wire/encoding.js";
import type { QueryAction } from "../wire/endpoint.js";
import { Violations } from "../wire/validation.js";
import { members, type XmlStruct } from "../wire/xml.js";
import type { IamModel } from "./model.js";
import { page } from "./paging.js";
import { policyXml, versionXml } from "./policy-handlers.js";
import type { PolicyModel } from "./policy-model.js";
import type { Role } from "./repository.js";
import type { RolePolicyModel } from "./role-policies.js";

const ENTITY_TYPES = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"];

/**
 * GetAccountAuthorizationDetails: every role with its trust policy, inline and attached policies and
 * boundary, and the managed policies with all their versions, for whole-account review
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).
 * `Filter` picks entity types; users and groups are always empty (the emulator has roles only). AWS
 * managed policies are listed when some role in the account uses them (attached or as a boundary), as
 * AWS does, not all thousand-odd of them. One `MaxItems`/`Marker` sequence runs over roles, then policies.
 */
export function accountDetailsAction(
  iam: IamModel,
  policies: PolicyModel,
  roles: RolePolicyModel,
  roleXml: (role: Role) => XmlStruct,
): QueryAction<Caller> {
  return {
    async run(p, c) {
      const account = callerAccount(c.caller);
      const filter = p.list("Filter") ?? [];
      const v = new Violations();
      filter.forEach((f, i) => {
        if (!ENTITY_TYPES.includes(f))
          v.custom(f, `filter.${i + 1}.member`, `satisfy enum value set: [${ENTITY_TYPES.join(", ")}]`);
      });
      v.throwIfAny();
      const wants = (type: string) => filter.length === 0 || filter.includes(type);
      const entries: { role?: XmlStruct; policy?: XmlStruct }[] = [];
      if (wants("Role")) {
        for (const role of await iam.listRoles(account, undefined)) {
          const inline = await iam.listRolePolicies(account, role.name);
          const attached = await roles.attachedRolePolicies(account, role.name, undefined);
          const { Description: _d, MaxSessionDuration: _m, ...base } = roleXml(role);
          entries.push({
            role: {
              ...base,
              InstanceProfileList: members([]),
              RolePolicyList: members(
                inline.map((x) => ({ PolicyName: x.name, PolicyDocument: encodePolicyDocument(x.document) })),
              ),
              AttachedManagedPolicies: members(
                attached.map((a) => ({ PolicyName: a.name, PolicyArn: a.arn })),
              ),
            },
          });
        }
      }
      const local = wants("LocalManagedPolicy");
      const aws = wants("AWSManagedPolicy");
      if (local || aws) {
        const usage = await policies.usage(account);
        const listed = local
          ? await policies.listPolicies(account, {
              scope: "Local",
              onlyAttached: false,
              pathPrefix: undefined,
              usage: undefined,
            })
          : [];
        if (aws) {
          for (const arn of usage.keys()) {
            if (!arn.startsWith("arn:aws:iam::aws:")) continue;
            const found = await policies.find(account, arn);
            if (found) listed.push(found);
          }
        }
        for (const policy of listed) {
          const { versions } = await policies.listVersions(account, policy.arn);
          entries.push({
            policy: {
              ...policyXml(policy, usage.get(policy.arn), true),
              Tags: undefined,
              PolicyVersionList: members(
                versions.map((x) => versionXml(x, x.versionId === policy.defaultVersion, true)),
              ),
            },
          });
        }
      }
      const { items, IsTruncated, Marker } = page(p, entries);
      return {
        UserDetailList: members([]),
        GroupDetailList: members([]),
        RoleDetailList: members(items.flatMap((e) => (e.role ? [e.role] : []))),
        Policies: members(items.flatMap((e) => (e.policy ? [e.policy] : []))),
        IsTruncated,
        Marker,
      };
    },
  };
}
