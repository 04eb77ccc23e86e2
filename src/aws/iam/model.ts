import {
  roleArn as formatRoleArn,
  oidcProviderArn,
  parseAssumedRoleArn,
  parseOidcProviderArn,
  parseRoleArn,
  parseRootArn,
} from "../../core/aws/arn.js";
import { isAccountId } from "../../core/aws/identifiers.js";
import { isoSeconds } from "../../core/aws/time.js";
import type { Policy } from "../../core/policy/types.js";
import type { Clock } from "../../lib/clock.js";
import { base32Chars, type IdGenerator } from "../../lib/ids.js";
import { AwsError } from "../wire/errors.js";
import { PATTERNS, Violations } from "../wire/validation.js";
import type { IamRepository, OidcProvider, Role, Tag } from "./repository.js";
import { checkSharedIssuerControls } from "./shared-issuers.js";
import {
  compactLength,
  mergeTags,
  providerUrl,
  QUOTAS,
  removeTags,
  requireKeys,
  requireTags,
  unique,
  validatePolicyText,
  validateTags,
} from "./validation.js";

/** Parses policy text for IAM, throwing AwsError MalformedPolicyDocument with IAM's message. */
export interface PolicyParser {
  trust(text: string): Policy;
  identity(text: string): Policy;
}

export const providerArn = (account: string, url: string) => oidcProviderArn(account, url);
export const roleArn = (role: Pick<Role, "account" | "path" | "name">) =>
  formatRoleArn({ account: role.account, path: role.path, name: role.name });

const noSuchRole = (name: string) =>
  new AwsError("NoSuchEntity", `The role with name ${name} cannot be found.`);
// AWS does not document its text for a missing provider; this is the one other emulators (moto) answer.
const noSuchProvider = (arn: string) =>
  new AwsError("NoSuchEntity", `OpenIDConnect Provider not found for arn ${arn}`);

export interface CreateProviderInput {
  url: string | undefined;
  clientIds: readonly string[] | undefined;
  thumbprints: readonly string[] | undefined;
  tags: readonly Tag[] | undefined;
}

export interface CreateRoleInput {
  name: string | undefined;
  path: string | undefined;
  trustPolicy: string | undefined;
  description: string | undefined;
  maxSessionDuration: number | undefined;
  tags: readonly Tag[] | undefined;
  /** A managed policy ARN, checked by PolicyModel.createRole before this is called. */
  permissionsBoundary?: string | undefined;
}

/** The IAM rules of the emulator (providers, roles, inline policies), apart from the wire. */
export class IamModel {
  constructor(
    private readonly repo: IamRepository,
    private readonly policies: PolicyParser,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  private now(): string {
    return isoSeconds(this.clock());
  }

  // ---- OIDC providers -------------------------------------------------------------------------------

  async createProvider(account: string, input: CreateProviderInput): Promise<OidcProvider> {
    const v = new Violations();
    if (v.required(input.url, "url")) v.length(input.url, "url", 1, 255);
    for (const [i, c] of (input.clientIds ?? []).entries())
      v.length(c, `clientIDList.${i + 1}.member`, 1, 255);
    for (const [i, t] of (input.thumbprints ?? []).entries())
      v.length(t, `thumbprintList.${i + 1}.member`, 40, 40);
    validateTags(v, input.tags);
    v.throwIfAny();
    const url = providerUrl(input.url!);
    const clientIds = unique(input.clientIds ?? []);
    if (clientIds.length > QUOTAS.clientIdsPerProvider) {
      throw new AwsError(
        "LimitExceeded",
        `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${QUOTAS.clientIdsPerProvider}`,
      );
    }
    const thumbprints = (input.thumbprints ?? []).map((t) => t.toLowerCase());
    if (thumbprints.length > QUOTAS.thumbprintsPerProvider) {
      throw new AwsError("InvalidInput", "Thumbprint list must contain fewer than 5 entries.");
    }
    if (thumbprints.some((t) => !/^[0-9a-f]{40}$/.test(t))) {
      throw new AwsError("InvalidInput", "Thumbprint must be a 40-character hexadecimal string.");
    }
    if ((await this.repo.listProviders(account)).length >= QUOTAS.providersPerAccount) {
      throw new AwsError(
        "LimitExceeded",
        `Cannot exceed quota for OpenIdConnectProvidersPerAccount: ${QUOTAS.providersPerAccount}`,
      );
    }
    const provider: OidcProvider = {
      account,
      url,
      clientIds,
      // Emulator choice: AWS computes the thumbprint when the list is omitted; the emulator stores an
      // empty list and relies on CA trust (--trust-ca), which is what AWS uses first anyway
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html).
      thumbprints,
      tags: input.tags ?? [],
      createdAt: this.now(),
    };
    if (!(await this.repo.insertProvider(provider))) {
      throw new AwsError("EntityAlreadyExists", `Provider with url https://${url} already exists.`);
    }
    return provider;
  }

  async getProvider(account: string, arn: string | undefined): Promise<OidcProvider> {
    const url = this.providerUrlFromArn(account, arn);
    const provider = url === undefined ? undefined : await this.repo.getProvider(account, url);
    if (!provider) throw noSuchProvider(arn!);
    return provider;
  }

  /** Every account that holds a role or a provider (an emulator extension: IAM has no such call). */
  listAccounts(): Promise<string[]> {
    return this.repo.listAccounts();
  }

  listProviders(account: string): Promise<OidcProvider[]> {
    return this.repo.listProviders(account);
  }

  /** Idempotent: deleting a provider that does not exist succeeds (documented by AWS). */
  async deleteProvider(account: string, arn: string | undefined): Promise<void> {
    const url = this.providerUrlFromArn(account, arn);
    if (url !== undefined) await this.repo.deleteProvider(account, url);
  }

  async addClientId(account: string, arn: string | undefined, clientId: string | undefined): Promise<void> {
    const v = new Violations();
    if (v.required(clientId, "clientID")) v.length(clientId, "clientID", 1, 255);
    v.throwIfAny();
    const provider = await this.getProvider(account, arn);
    if (provider.clientIds.includes(clientId!)) return;
    if (provider.clientIds.length >= QUOTAS.clientIdsPerProvider) {
      throw new AwsError(
        "LimitExceeded",
        `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${QUOTAS.clientIdsPerProvider}`,
      );
    }
    await this.repo.updateProvider({ ...provider, clientIds: [...provider.clientIds, clientId!] });
  }

  async removeClientId(
    account: string,
    arn: string | undefined,
    clientId: string | undefined,
  ): Promise<void> {
    const v = new Violations();
    if (v.required(clientId, "clientID")) v.length(clientId, "clientID", 1, 255);
    v.throwIfAny();
    const provider = await this.getProvider(account, arn);
    if (!provider.clientIds.includes(clientId!)) return;
    await this.repo.updateProvider({
      ...provider,
      clientIds: provider.clientIds.filter((c) => c !== clientId),
    });
  }

  /** Replaces the whole list ("The lists are not merged."). */
  async updateThumbprints(
    account: string,
    arn: string | undefined,
    thumbprints: readonly string[] | undefined,
  ): Promise<void> {
    const v = new Violations();
    if (thumbprints === undefined) v.required(undefined, "thumbprintList");
    for (const [i, t] of (thumbprints ?? []).entries()) v.length(t, `thumbprintList.${i + 1}.member`, 40, 40);
    v.throwIfAny();
    const list = thumbprints!.map((t) => t.toLowerCase());
    if (list.length > QUOTAS.thumbprintsPerProvider)
      throw new AwsError("InvalidInput", "Thumbprint list must contain fewer than 5 entries.");
    if (list.some((t) => !/^[0-9a-f]{40}$/.test(t)))
      throw new AwsError("InvalidInput", "Thumbprint must be a 40-character hexadecimal string.");
    const provider = await this.getProvider(account, arn);
    await this.repo.updateProvider({ ...provider, thumbprints: list });
  }

  async tagProvider(
    account: string,
    arn: string | undefined,
    tags: readonly Tag[] | undefined,
  ): Promise<void> {
    const provider = await this.getProvider(account, arn);
    await this.repo.updateProvider({ ...provider, tags: mergeTags(provider.tags, requireTags(tags)) });
  }

  async untagProvider(
    account: string,
    arn: string | undefined,
    keys: readonly string[] | undefined,
  ): Promise<void> {
    const provider = await this.getProvider(account, arn);
    await this.repo.updateProvider({ ...provider, tags: removeTags(provider.tags, requireKeys(keys)) });
  }

  private providerUrlFromArn(account: string, arn: string | undefined): string | undefined {
    const v = new Violations();
    if (v.required(arn, "openIDConnectProviderArn")) v.length(arn, "openIDConnectProviderArn", 20, 2048);
    v.throwIfAny();
    const parsed = parseOidcProviderArn(arn!);
    if (parsed?.partition !== "aws") throw new AwsError("InvalidInput", `ARN ${arn} is not valid.`);
    // A provider of another account is not visible to this caller: it does not exist for them.
    return parsed.account === account ? parsed.url : undefined;
  }

  // ---- roles ----------------------------------------------------------------------------------------

  async createRole(account: string, input: CreateRoleInput): Promise<Role> {
    const v = new Violations();
    if (v.required(input.name, "roleName")) {
      v.length(input.name, "roleName", 1, 64);
      v.pattern(input.name, "roleName", PATTERNS.roleName.regex, PATTERNS.roleName.shown);
    }
    v.length(input.path, "path", 1, 512);
    v.pattern(input.path, "path", PATTERNS.path.regex, PATTERNS.path.shown);
    if (v.required(input.trustPolicy, "assumeRolePolicyDocument"))
      validatePolicyText(v, input.trustPolicy, "assumeRolePolicyDocument");
    v.length(input.description, "description", 0, 1000);
    v.range(input.maxSessionDuration, "maxSessionDuration", 3600, 43200);
    validateTags(v, input.tags);
    v.throwIfAny();
    await this.validateTrustPolicy(input.trustPolicy!);
    if ((await this.repo.countRoles(account)) >= QUOTAS.rolesPerAccount) {
      throw new AwsError(
        "LimitExceeded",
        `Cannot exceed quota for RolesPerAccount: ${QUOTAS.rolesPerAccount}`,
      );
    }
    const role: Role = {
      account,
      name: input.name!,
      id: `AROA${base32Chars(this.ids, 17)}`,
      path: input.path ?? "/",
      trustPolicy: input.trustPolicy!,
      description: input.description,
      maxSessionDuration: input.maxSessionDuration ?? 3600,
      tags: input.tags ?? [],
      createdAt: this.now(),
      permissionsBoundary: input.permissionsBoundary,
    };
    if (!(await this.repo.insertRole(role))) {
      throw new AwsError("EntityAlreadyExists", `Role with name ${input.name} already exists.`);
    }
    return role;
  }

  async getRole(account: string, name: string | undefined): Promise<Role> {
    const v = new Violations();
    if (v.required(name, "roleName")) v.length(name, "roleName", 1, 64);
    v.throwIfAny();
    const role = await this.repo.getRole(account, name!);
    if (!role) throw noSuchRole(name!);
    return role;
  }

  /** The role named by an ARN, or undefined (for STS: a missing role is never revealed as such). */
  async findRoleByArn(arn: string): Promise<Role | undefined> {
    const parsed = parseRoleArn(arn);
    if (parsed?.partition !== "aws") return undefined;
    const role = await this.repo.getRole(parsed.account, parsed.name);
    // The ARN must name the role exactly: its path, and its name in the stored case.
    return role && roleArn(role) === arn ? role : undefined;
  }

  async listRoles(account: string, pathPrefix: string | undefined): Promise<Role[]> {
    const roles = await this.repo.listRoles(account);
    return pathPrefix ? roles.filter((r) => r.path.startsWith(pathPrefix)) : roles;
  }

  async updateRole(
    account: string,
    name: string | undefined,
    description: string | undefined,
    maxSessionDuration: number | undefined,
  ): Promise<Role> {
    const v = new Violations();
    v.length(description, "description", 0, 1000);
    v.range(maxSessionDuration, "maxSessionDuration", 3600, 43200);
    v.throwIfAny();
    const role = await this.getRole(account, name);
    const updated: Role = {
      ...role,
      description: description ?? role.description,
      maxSessionDuration: maxSessionDuration ?? role.maxSessionDuration,
    };
    await this.repo.updateRole(updated);
    return updated;
  }

  async updateAssumeRolePolicy(
    account: string,
    name: string | undefined,
    document: string | undefined,
  ): Promise<void> {
    const v = new Violations();
    if (v.required(document, "policyDocument")) validatePolicyText(v, document, "policyDocument");
    v.throwIfAny();
    const role = await this.getRole(account, name);
    await this.validateTrustPolicy(document!);
    await this.repo.updateRole({ ...role, trustPolicy: document! });
  }

  async deleteRole(account: string, name: string | undefined): Promise<void> {
    const role = await this.getRole(account, name);
    if ((await this.repo.listRolePolicies(account, role.name)).length > 0) {
      throw new AwsError("DeleteConflict", "Cannot delete entity, must delete policies first.");
    }
    await this.repo.deleteRole(account, role.name);
  }

  async tagRole(account: string, name: string | undefined, tags: readonly Tag[] | undefined): Promise<void> {
    const role = await this.getRole(account, name);
    await this.repo.updateRole({ ...role, tags: mergeTags(role.tags, requireTags(tags)) });
  }

  async untagRole(
    account: string,
    name: string | undefined,
    keys: readonly string[] | undefined,
  ): Promise<void> {
    const role = await this.getRole(account, name);
    await this.repo.updateRole({ ...role, tags: removeTags(role.tags, requireKeys(keys)) });
  }

  // ---- inline role policies -------------------------------------------------------------------------

  async putRolePolicy(
    account: string,
    roleName: string | undefined,
    policyName: string | undefined,
    document: string | undefined,
  ): Promise<void> {
    const v = new Violations();
    if (v.required(policyName, "policyName")) {
      v.length(policyName, "policyName", 1, 128);
      v.pattern(policyName, "policyName", PATTERNS.policyName.regex, PATTERNS.policyName.shown);
    }
    if (v.required(document, "policyDocument")) validatePolicyText(v, document, "policyDocument");
    v.throwIfAny();
    const role = await this.getRole(account, roleName);
    this.policies.identity(document!);
    const others = (await this.repo.listRolePolicies(account, role.name)).filter(
      (p) => p.name !== policyName,
    );
    const total = [...others.map((p) => p.document), document!].reduce((n, d) => n + compactLength(d), 0);
    if (total > QUOTAS.rolePolicySize) {
      throw new AwsError(
        "LimitExceeded",
        `Maximum policy size of ${QUOTAS.rolePolicySize} bytes exceeded for role ${role.name}`,
      );
    }
    await this.repo.putRolePolicy(account, role.name, policyName!, document!);
  }

  async getRolePolicy(
    account: string,
    roleName: string | undefined,
    policyName: string | undefined,
  ): Promise<{ role: Role; document: string }> {
    const role = await this.getRole(account, roleName);
    const document =
      policyName === undefined ? undefined : await this.repo.getRolePolicy(account, role.name, policyName);
    if (document === undefined) {
      throw new AwsError("NoSuchEntity", `The role policy with name ${policyName} cannot be found.`);
    }
    return { role, document };
  }

  async listRolePolicies(
    account: string,
    roleName: string | undefined,
  ): Promise<{ name: string; document: string }[]> {
    const role = await this.getRole(account, roleName);
    return this.repo.listRolePolicies(account, role.name);
  }

  async deleteRolePolicy(
    account: string,
    roleName: string | undefined,
    policyName: string | undefined,
  ): Promise<void> {
    const role = await this.getRole(account, roleName);
    if (policyName === undefined || !(await this.repo.deleteRolePolicy(account, role.name, policyName))) {
      throw new AwsError("NoSuchEntity", `The role policy with name ${policyName} cannot be found.`);
    }
  }

  /** Parsed inline policies of a role (for cross-account AssumeRole: the caller's identity policies). */
  async identityPolicies(role: Role): Promise<Policy[]> {
    const stored = await this.repo.listRolePolicies(role.account, role.name);
    return stored.map((p) => this.policies.identity(p.document));
  }

  // ---- trust policies -------------------------------------------------------------------------------

  private async validateTrustPolicy(text: string): Promise<void> {
    const policy = this.policies.trust(text);
    if (compactLength(text) > QUOTAS.trustPolicySize) {
      throw new AwsError(
        "LimitExceeded",
        `Cannot exceed quota for ACLSizePerRole: ${QUOTAS.trustPolicySize}`,
      );
    }
    // IAM resolves AWS principals when the policy is saved: a role or user that does not exist is refused.
    // The emulator has roles but no users, so user ARNs never exist here. Accounts and root always exist.
    for (const statement of policy.statements) {
      if (statement.principal?.block.kind !== "map") continue;
      for (const value of statement.principal.block.entries.get("AWS") ?? []) {
        if (!(await this.awsPrincipalExists(value))) {
          throw new AwsError("MalformedPolicyDocument", `Invalid principal in policy: "AWS":"${value}"`);
        }
      }
    }
    checkSharedIssuerControls(policy);
  }

  private async awsPrincipalExists(value: string): Promise<boolean> {
    if (value === "*" || isAccountId(value) || parseRootArn(value)?.partition === "aws") return true;
    if (parseAssumedRoleArn(value)?.partition === "aws") return true;
    if (parseRoleArn(value)?.partition === "aws") return (await this.findRoleByArn(value)) !== undefined;
    return false;
  }
}
