import { rootArn } from "../../core/aws/arn.js";
import { type Caller, callerAccount } from "../credentials/caller.js";
import { encodePolicyDocument } from "../wire/encoding.js";
import type { QueryAction, QueryService } from "../wire/endpoint.js";
import { AwsError } from "../wire/errors.js";
import type { QueryParams } from "../wire/params.js";
import { members, type XmlStruct } from "../wire/xml.js";
import { accountDetailsAction } from "./account-details.js";
import { type IamModel, providerArn, roleArn } from "./model.js";
import { page } from "./paging.js";
import { policyActions } from "./policy-handlers.js";
import type { PolicyModel } from "./policy-model.js";
import type { OidcProvider, Role, Tag } from "./repository.js";
import type { RolePolicyModel } from "./role-policies.js";

export const IAM_VERSION = "2010-05-08";
export const IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";

const tagList = (tags: readonly Tag[]) => members(tags.map((t) => ({ Key: t.Key, Value: t.Value })));
const sortedTags = (tags: readonly Tag[]) =>
  tagList([...tags].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0)));

/** The `Role` structure (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html). */
export function roleXml(role: Role): XmlStruct {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.id,
    Arn: roleArn(role),
    CreateDate: role.createdAt,
    // Percent-encoded as IAM sends it; botocore decodes and JSON-parses it (the CLI prints JSON).
    AssumeRolePolicyDocument: encodePolicyDocument(role.trustPolicy),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    PermissionsBoundary: role.permissionsBoundary
      ? { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: role.permissionsBoundary }
      : undefined,
    Tags: role.tags.length > 0 ? tagList(role.tags) : undefined,
  };
}

function providerXml(p: OidcProvider): XmlStruct {
  return {
    Url: p.url,
    ClientIDList: members(p.clientIds),
    ThumbprintList: members(p.thumbprints),
    CreateDate: p.createdAt,
    Tags: sortedTags(p.tags),
  };
}

/** The IAM wire: form parameters in, XML out; the rules live in IamModel. */
export function iamService(
  model: IamModel,
  policies: PolicyModel,
  rolePolicies: RolePolicyModel,
): QueryService<Caller> {
  const act = (
    run: (p: QueryParams, account: string, caller: Caller) => Promise<XmlStruct | undefined>,
  ): QueryAction<Caller> => ({
    run: (p, c) => run(p, callerAccount(c.caller), c.caller),
  });

  return {
    version: IAM_VERSION,
    namespace: IAM_NAMESPACE,
    signingName: "iam",
    actions: {
      ...policyActions(policies, rolePolicies, roleXml),
      GetAccountAuthorizationDetails: accountDetailsAction(model, policies, rolePolicies, roleXml),
      CreateOpenIDConnectProvider: act(async (p, account) => {
        const provider = await model.createProvider(account, {
          url: p.string("Url"),
          clientIds: p.list("ClientIDList"),
          thumbprints: p.list("ThumbprintList"),
          tags: p.tags("Tags"),
        });
        return { OpenIDConnectProviderArn: providerArn(account, provider.url), Tags: tagList(provider.tags) };
      }),
      GetOpenIDConnectProvider: act(async (p, account) =>
        providerXml(await model.getProvider(account, p.string("OpenIDConnectProviderArn"))),
      ),
      ListOpenIDConnectProviders: act(async (_p, account) => ({
        OpenIDConnectProviderList: members(
          (await model.listProviders(account)).map((x) => ({ Arn: providerArn(account, x.url) })),
        ),
      })),
      DeleteOpenIDConnectProvider: act(async (p, account) => {
        await model.deleteProvider(account, p.string("OpenIDConnectProviderArn"));
        return undefined;
      }),
      AddClientIDToOpenIDConnectProvider: act(async (p, account) => {
        await model.addClientId(account, p.string("OpenIDConnectProviderArn"), p.string("ClientID"));
        return undefined;
      }),
      RemoveClientIDFromOpenIDConnectProvider: act(async (p, account) => {
        await model.removeClientId(account, p.string("OpenIDConnectProviderArn"), p.string("ClientID"));
        return undefined;
      }),
      UpdateOpenIDConnectProviderThumbprint: act(async (p, account) => {
        await model.updateThumbprints(
          account,
          p.string("OpenIDConnectProviderArn"),
          p.list("ThumbprintList"),
        );
        return undefined;
      }),
      TagOpenIDConnectProvider: act(async (p, account) => {
        await model.tagProvider(account, p.string("OpenIDConnectProviderArn"), p.tags("Tags"));
        return undefined;
      }),
      UntagOpenIDConnectProvider: act(async (p, account) => {
        await model.untagProvider(account, p.string("OpenIDConnectProviderArn"), p.list("TagKeys"));
        return undefined;
      }),
      ListOpenIDConnectProviderTags: act(async (p, account) => {
        const provider = await model.getProvider(account, p.string("OpenIDConnectProviderArn"));
        const { items, IsTruncated, Marker } = page(p, provider.tags);
        return { Tags: sortedTags(items), IsTruncated, Marker };
      }),

      GetRole: act(async (p, account) => ({
        Role: roleXml(await model.getRole(account, p.string("RoleName"))),
      })),
      // keyless extension (AWS IAM has no such action): the accounts the emulator holds roles or providers
      // in, so `keyless lint --emulator` can read every one. Any authenticated caller may ask: the
      // emulator is a local test double whose static credentials already name any account.
      ListEmulatorAccounts: act(async () => ({ Accounts: members(await model.listAccounts()) })),
      ListRoles: act(async (p, account) => {
        const { items, IsTruncated, Marker } = page(
          p,
          await model.listRoles(account, p.string("PathPrefix")),
        );
        return { Roles: members(items.map(roleXml)), IsTruncated, Marker };
      }),
      UpdateRole: act(async (p, account) => {
        await model.updateRole(
          account,
          p.string("RoleName"),
          p.string("Description"),
          p.integer("MaxSessionDuration"),
        );
        return {};
      }),
      UpdateRoleDescription: act(async (p, account) => ({
        Role: roleXml(
          await model.updateRole(account, p.string("RoleName"), p.string("Description") ?? "", undefined),
        ),
      })),
      UpdateAssumeRolePolicy: act(async (p, account) => {
        await model.updateAssumeRolePolicy(account, p.string("RoleName"), p.string("PolicyDocument"));
        return undefined;
      }),
      TagRole: act(async (p, account) => {
        await model.tagRole(account, p.string("RoleName"), p.tags("Tags"));
        return undefined;
      }),
      UntagRole: act(async (p, account) => {
        await model.untagRole(account, p.string("RoleName"), p.list("TagKeys"));
        return undefined;
      }),
      ListRoleTags: act(async (p, account) => {
        const role = await model.getRole(account, p.string("RoleName"));
        const { items, IsTruncated, Marker } = page(p, role.tags);
        return { Tags: tagList(items), IsTruncated, Marker };
      }),
      PutRolePolicy: act(async (p, account) => {
        await model.putRolePolicy(
          account,
          p.string("RoleName"),
          p.string("PolicyName"),
          p.string("PolicyDocument"),
        );
        return undefined;
      }),
      GetRolePolicy: act(async (p, account) => {
        const { role, document } = await model.getRolePolicy(
          account,
          p.string("RoleName"),
          p.string("PolicyName"),
        );
        return {
          RoleName: role.name,
          PolicyName: p.string("PolicyName"),
          PolicyDocument: encodePolicyDocument(document),
        };
      }),
      ListRolePolicies: act(async (p, account) => {
        const { items, IsTruncated, Marker } = page(
          p,
          await model.listRolePolicies(account, p.string("RoleName")),
        );
        return { PolicyNames: members(items.map((x) => x.name)), IsTruncated, Marker };
      }),
      DeleteRolePolicy: act(async (p, account) => {
        await model.deleteRolePolicy(account, p.string("RoleName"), p.string("PolicyName"));
        return undefined;
      }),
      // Terraform's S3 backend calls GetUser when only skip_credentials_validation is set: answer as IAM does
      // (root: the root user; a role session: the ValidationError IAM gives non-user callers), never a 5xx.
      GetUser: act(async (p, account, caller) => {
        if (p.string("UserName") !== undefined) {
          throw new AwsError("NoSuchEntity", `The user with name ${p.string("UserName")} cannot be found.`);
        }
        if (caller.kind !== "root") {
          throw new AwsError(
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
          );
        }
        return {
          User: {
            Path: "/",
            UserName: account,
            UserId: account,
            Arn: rootArn(account),
            CreateDate: "2020-01-01T00:00:00Z",
          },
        };
      }),
    },
  };
}
