import { isoSeconds } from "../../core/aws/time.js";
import type { Clock } from "../../lib/clock.js";
import { base32Chars, type IdGenerator } from "../../lib/ids.js";
import { AwsError } from "../wire/errors.js";
import { PATTERNS, Violations } from "../wire/validation.js";
import { type AwsManagedCatalog, awsManagedArn } from "./aws-managed.js";
import type { PolicyParser } from "./model.js";
import type { ManagedPolicy, PolicyRepository, PolicyVersion } from "./policy-repository.js";
import type { IamRepository, Tag } from "./repository.js";
import {
  compactLength,
  mergeTags,
  QUOTAS,
  removeTags,
  requireKeys,
  requireTags,
  validatePolicyText,
  validateTags,
} from "./validation.js";

/**
 * Managed policies (customer and AWS managed), their versions, attachments to roles and permissions
 * boundaries, with IAM's rules and messages:
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePermissionsBoundary.html.
 */

/** A managed policy as the API shows it, whoever owns it. */
export interface PolicyView {
  readonly arn: string;
  readonly name: string;
  readonly id: string;
  readonly path: string;
  readonly description: string | undefined;
  readonly defaultVersion: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly tags: readonly Tag[];
  /** Undefined for an AWS managed policy. */
  readonly customer: ManagedPolicy | undefined;
  /** The AWS managed policy's document (its only known version). */
  readonly awsDocument: string | undefined;
}

export interface CreatePolicyInput {
  name: string | undefined;
  path: string | undefined;
  document: string | undefined;
  description: string | undefined;
  tags: readonly Tag[] | undefined;
}

export interface ListPoliciesFilter {
  scope: string | undefined;
  onlyAttached: boolean;
  pathPrefix: string | undefined;
  usage: string | undefined;
}

/** Policy ARNs: `arn:aws:iam::ACCOUNT|aws:policy/PATH/NAME`, names up to 128 (API_CreatePolicy). */
export const POLICY_ARN = /^arn:aws:iam::(\d{12}|aws):policy(\/|\/[\u0021-\u007E]+\/)([\w+=,.@-]{1,128})$/;
const VERSION_ID = { regex: /^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/, shown: "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?" };

export const customerPolicyArn = (p: Pick<ManagedPolicy, "account" | "path" | "name">) =>
  `arn:aws:iam::${p.account}:policy${p.path}${p.name}`;

/** IAM's own texts for these errors (the API reference documents the codes, not every message). */
export const notFound = (arn: string) => new AwsError("NoSuchEntity", `Policy ${arn} was not found.`);
const invalidArn = (arn: string) => new AwsError("InvalidInput", `ARN ${arn} is not valid.`);

export class PolicyModel {
  constructor(
    private readonly roles: IamRepository,
    private readonly repo: PolicyRepository,
    private readonly catalog: AwsManagedCatalog,
    private readonly parser: PolicyParser,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  private now(): string {
    return isoSeconds(this.clock());
  }

  // ---- resolving ARNs -------------------------------------------------------------------------------

  /** The policy an ARN names, visible to `account`, or undefined. Throws InvalidInput for a malformed ARN. */
  async find(
    account: string,
    arn: string | undefined,
    member = "policyArn",
  ): Promise<PolicyView | undefined> {
    const v = new Violations();
    if (v.required(arn, member)) v.length(arn, member, 20, 2048);
    v.throwIfAny();
    const m = POLICY_ARN.exec(arn!);
    if (!m) throw invalidArn(arn!);
    const [, owner, path, name] = m;
    if (owner === "aws") {
      const p = this.catalog.get(arn!);
      return p && { ...p, arn: arn!, tags: [], customer: undefined, awsDocument: p.document };
    }
    if (owner !== account) return undefined;
    const p = await this.repo.getPolicy(account, name!);
    // The ARN must name the policy exactly: its path, and its name in the stored case.
    if (!p || p.path !== path || p.name !== name) return undefined;
    return { ...p, arn: arn!, customer: p, awsDocument: undefined };
  }

  async getPolicy(account: string, arn: string | undefined): Promise<PolicyView> {
    const p = await this.find(account, arn);
    if (!p) throw notFound(arn!);
    return p;
  }

  private async customer(
    account: string,
    arn: string | undefined,
  ): Promise<PolicyView & { customer: ManagedPolicy }> {
    const p = await this.getPolicy(account, arn);
    if (!p.customer) {
      // AWS managed policies are read-only to every account.
      throw new AwsError("AccessDenied", `Cannot modify the AWS managed policy ${p.arn}.`);
    }
    return p as PolicyView & { customer: ManagedPolicy };
  }

  // ---- policies -------------------------------------------------------------------------------------

  async createPolicy(account: string, input: CreatePolicyInput): Promise<PolicyView> {
    const v = new Violations();
    if (v.required(input.name, "policyName")) {
      v.length(input.name, "policyName", 1, 128);
      v.pattern(input.name, "policyName", PATTERNS.policyName.regex, PATTERNS.policyName.shown);
    }
    v.length(input.path, "path", 1, 512);
    v.pattern(input.path, "path", PATTERNS.path.regex, PATTERNS.path.shown);
    if (v.required(input.document, "policyDocument")) validatePolicyText(v, input.document, "policyDocument");
    v.length(input.description, "description", 0, 1000);
    validateTags(v, input.tags);
    v.throwIfAny();
    this.checkDocument(input.document!);
    if ((await this.repo.listPolicies(account)).length >= QUOTAS.customerPoliciesPerAccount) {
      throw new AwsError(
        "LimitExceeded",
        `Cannot exceed quota for PoliciesPerAccount: ${QUOTAS.customerPoliciesPerAccount}`,
      );
    }
    const now = this.now();
    const policy: ManagedPolicy = {
      account,
      name: input.name!,
      id: `ANPA${base32Chars(this.ids, 17)}`,
      path: input.path ?? "/",
      description: input.description,
      defaultVersion: "v1",
      nextVersion: 2,
      tags: input.tags ?? [],
      createdAt: now,
      updatedAt: now,
    };
    if (
      !(await this.repo.insertPolicy(policy, { versionId: "v1", document: input.document!, createdAt: now }))
    ) {
      throw new AwsError(
        "EntityAlreadyExists",
        `A policy called ${input.name} already exists. Duplicate names are not allowed.`,
      );
    }
    return { ...policy, arn: customerPolicyArn(policy), customer: policy, awsDocument: undefined };
  }

  /** The policies ListPolicies shows, filtered (API_ListPolicies: Scope, OnlyAttached, PathPrefix, PolicyUsageFilter). */
  async listPolicies(account: string, f: ListPoliciesFilter): Promise<PolicyView[]> {
    const v = new Violations();
    if (f.scope !== undefined && !["All", "AWS", "Local"].includes(f.scope))
      v.custom(f.scope, "scope", "satisfy enum value set: [All, AWS, Local]");
    if (f.usage !== undefined && !["PermissionsPolicy", "PermissionsBoundary"].includes(f.usage))
      v.custom(
        f.usage,
        "policyUsageFilter",
        "satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]",
      );
    v.length(f.pathPrefix, "pathPrefix", 1, 512);
    v.throwIfAny();
    const scope = f.scope ?? "All";
    const all: PolicyView[] = [];
    if (scope !== "Local") {
      for (const p of this.catalog.list()) {
        all.push({ ...p, arn: awsManagedArn(p), tags: [], customer: undefined, awsDocument: p.document });
      }
    }
    if (scope !== "AWS") {
      for (const p of await this.repo.listPolicies(account)) {
        all.push({ ...p, arn: customerPolicyArn(p), customer: p, awsDocument: undefined });
      }
    }
    const prefixed = f.pathPrefix ? all.filter((p) => p.path.startsWith(f.pathPrefix!)) : all;
    // Every managed policy can serve either way; only OnlyAttached narrows to the ones in use, by the usage asked.
    if (!f.onlyAttached) return prefixed;
    const usage = await this.usage(account);
    return prefixed.filter((p) => {
      const u = usage.get(p.arn) ?? { attachments: 0, boundaries: 0 };
      if (f.usage === "PermissionsBoundary") return u.boundaries > 0;
      // A boundary is not an attachment (AttachmentCount leaves it out): OnlyAttached alone means attached.
      return u.attachments > 0;
    });
  }

  /** Per policy ARN: how many roles it is attached to (AttachmentCount) and bounds (PermissionsBoundaryUsageCount). */
  async usage(account: string): Promise<Map<string, { attachments: number; boundaries: number }>> {
    const counts = new Map<string, { attachments: number; boundaries: number }>();
    const entry = (arn: string) => {
      const c = counts.get(arn) ?? { attachments: 0, boundaries: 0 };
      counts.set(arn, c);
      return c;
    };
    for (const a of await this.repo.attachments(account)) entry(a.policyArn).attachments++;
    for (const r of await this.roles.listRoles(account)) {
      if (r.permissionsBoundary) entry(r.permissionsBoundary).boundaries++;
    }
    return counts;
  }

  /** Refused while attached or used as a boundary, or while it has versions besides the default. */
  async deletePolicy(account: string, arn: string | undefined): Promise<void> {
    const p = await this.customer(account, arn);
    const u = (await this.usage(account)).get(p.arn);
    if (u && (u.attachments > 0 || u.boundaries > 0)) {
      throw new AwsError("DeleteConflict", "Cannot delete a policy attached to entities.");
    }
    if ((await this.repo.listVersions(account, p.name)).length > 1) {
      throw new AwsError(
        "DeleteConflict",
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
      );
    }
    await this.repo.deletePolicy(account, p.name);
  }

  async tagPolicy(account: string, arn: string | undefined, tags: readonly Tag[] | undefined): Promise<void> {
    const p = await this.customer(account, arn);
    await this.repo.updatePolicy({ ...p.customer, tags: mergeTags(p.tags, requireTags(tags)) });
  }

  async untagPolicy(
    account: string,
    arn: string | undefined,
    keys: readonly string[] | undefined,
  ): Promise<void> {
    const p = await this.customer(account, arn);
    await this.repo.updatePolicy({ ...p.customer, tags: removeTags(p.tags, requireKeys(keys)) });
  }

  // ---- versions -------------------------------------------------------------------------------------

  async createVersion(
    account: string,
    arn: string | undefined,
    document: string | undefined,
    setAsDefault: boolean,
  ): Promise<{ version: PolicyVersion; isDefault: boolean }> {
    const v = new Violations();
    if (v.required(document, "policyDocument")) validatePolicyText(v, document, "policyDocument");
    v.throwIfAny();
    const p = await this.customer(account, arn);
    this.checkDocument(document!);
    if ((await this.repo.listVersions(account, p.name)).length >= QUOTAS.policyVersions) {
      throw new AwsError(
        "LimitExceeded",
        `A managed policy can have up to ${QUOTAS.policyVersions} versions. Before you create a new version, you must delete an existing version.`,
      );
    }
    const now = this.now();
    const version: PolicyVersion = {
      versionId: `v${p.customer.nextVersion}`,
      document: document!,
      createdAt: now,
    };
    await this.repo.insertVersion(account, p.name, version);
    await this.repo.updatePolicy({
      ...p.customer,
      nextVersion: p.customer.nextVersion + 1,
      defaultVersion: setAsDefault ? version.versionId : p.defaultVersion,
      updatedAt: setAsDefault ? now : p.updatedAt,
    });
    return { version, isDefault: setAsDefault };
  }

  async getVersion(
    account: string,
    arn: string | undefined,
    versionId: string | undefined,
  ): Promise<PolicyVersion> {
    this.checkVersionId(versionId);
    const p = await this.getPolicy(account, arn);
    const version = p.customer
      ? await this.repo.getVersion(account, p.name, versionId!)
      : versionId === p.defaultVersion
        ? { versionId: p.defaultVersion, document: p.awsDocument!, createdAt: p.updatedAt }
        : undefined;
    if (!version) {
      throw new AwsError(
        "NoSuchEntity",
        `Policy ${p.arn} version ${versionId} does not exist or is not attachable.`,
      );
    }
    return version;
  }

  async listVersions(
    account: string,
    arn: string | undefined,
  ): Promise<{ policy: PolicyView; versions: PolicyVersion[] }> {
    const p = await this.getPolicy(account, arn);
    const versions = p.customer
      ? await this.repo.listVersions(account, p.name)
      : [{ versionId: p.defaultVersion, document: p.awsDocument!, createdAt: p.updatedAt }];
    // Newest first, as IAM lists them.
    return { policy: p, versions: versions.reverse() };
  }

  async deleteVersion(
    account: string,
    arn: string | undefined,
    versionId: string | undefined,
  ): Promise<void> {
    this.checkVersionId(versionId);
    const p = await this.customer(account, arn);
    if (versionId === p.defaultVersion) {
      throw new AwsError("DeleteConflict", "Cannot delete the default version of a policy.");
    }
    await this.getVersion(account, arn, versionId);
    await this.repo.deleteVersion(account, p.name, versionId!);
  }

  async setDefaultVersion(
    account: string,
    arn: string | undefined,
    versionId: string | undefined,
  ): Promise<void> {
    this.checkVersionId(versionId);
    const p = await this.customer(account, arn);
    await this.getVersion(account, arn, versionId);
    await this.repo.updatePolicy({ ...p.customer, defaultVersion: versionId!, updatedAt: this.now() });
  }

  /** The default version's text: what IAM evaluates for the policy. */
  async defaultDocument(account: string, arn: string): Promise<string | undefined> {
    const p = await this.find(account, arn);
    if (!p) return undefined;
    return p.customer
      ? (await this.repo.getVersion(account, p.name, p.defaultVersion))?.document
      : p.awsDocument;
  }

  private checkDocument(document: string): void {
    this.parser.identity(document);
    if (compactLength(document) > QUOTAS.managedPolicySize) {
      throw new AwsError("LimitExceeded", `Cannot exceed quota for PolicySize: ${QUOTAS.managedPolicySize}`);
    }
  }

  private checkVersionId(versionId: string | undefined): void {
    const v = new Violations();
    if (v.required(versionId, "versionId"))
      v.pattern(versionId, "versionId", VERSION_ID.regex, VERSION_ID.shown);
    v.throwIfAny();
  }
}
