import { isoSeconds } from "../../core/aws/time.js";
import {
  type ContextInput,
  type Evaluation,
  evaluate,
  type Policy,
  type RequestPrincipal,
  requestContext,
} from "../../core/policy/index.js";
import type { Clock } from "../../lib/clock.js";
import { assumedRoleArn, type Caller, type RoleSession, roleArnOf } from "../credentials/caller.js";
import type { PolicyModel } from "../iam/policy-model.js";
import type { IamRepository } from "../iam/repository.js";
import type { RolePolicyModel } from "../iam/role-policies.js";
import { PolicyCache } from "../policies.js";

/** The policy types AWS names in its refusals. */
export type PolicyType = "identity-based policy" | "permissions boundary" | "session policy";

/** One request to authorize: the IAM action (`iam:CreateRole`), its resource ARN (`*` for none), its keys. */
export interface AuthzRequest {
  readonly action: string;
  readonly resource: string;
  /** Request-specific condition keys (aws:RequestTag/*, iam:PolicyARN, …); the caller's global keys are added. */
  readonly context: ContextInput;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** The request came over TLS (aws:SecureTransport; false when absent). */
  readonly secureTransport?: boolean;
}

/** Which policy and statement decided. `policy` is `inline:NAME`, a policy ARN, or `session:inline`. */
export interface DecidingStatement {
  readonly policyType: PolicyType;
  readonly policy: string;
  readonly index: number;
  readonly sid: string | undefined;
}

export interface AuthzDecision {
  readonly allowed: boolean;
  /** `root`: account root, every permission; `allowed`; `explicit-deny`; `implicit-deny`. */
  readonly reason: "root" | "allowed" | "explicit-deny" | "implicit-deny";
  /** For a refusal: the policy type that refused. */
  readonly policyType?: PolicyType;
  /** The Allow statements that admitted it (one per policy type evaluated), or the Deny that refused it. */
  readonly statements: readonly DecidingStatement[];
  /** AWS's AccessDenied text for a refusal. */
  readonly message?: string;
  /** For a refusal: every policy evaluated, statement by statement (what `explain --event` prints). */
  readonly trace?: readonly PolicyTrace[];
}

/** One evaluated policy, for the decision log: its result and each statement's parts. */
export interface PolicyTrace {
  readonly policyType: PolicyType;
  readonly policy: string;
  readonly result: Evaluation["reason"];
  readonly statements: readonly {
    readonly index: number;
    readonly sid: string | undefined;
    readonly effect: "Allow" | "Deny";
    readonly applies: boolean;
    readonly action: boolean;
    readonly resource: boolean;
    readonly conditions: readonly {
      readonly operator: string;
      readonly key: string;
      readonly result: boolean;
      readonly reason: string;
    }[];
  }[];
}

interface NamedPolicy {
  readonly type: PolicyType;
  readonly name: string;
  readonly policy: Policy;
}

/**
 * AWS's refusal texts, as the IAM User Guide gives them
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html): "User: <principal>
 * is not authorized to perform: <action> [on resource: <arn>] because no <policy type> allows the <action>
 * action" for an implicit deny, "… with an explicit deny in a(n) <policy type>" for an explicit one.
 */
export function accessDeniedMessage(
  principal: string,
  action: string,
  resource: string,
  reason: "explicit-deny" | "implicit-deny",
  type: PolicyType,
): string {
  const on = resource === "*" ? "" : ` on resource: ${resource}`;
  const head = `User: ${principal} is not authorized to perform: ${action}${on}`;
  if (reason === "implicit-deny") return `${head} because no ${type} allows the ${action} action`;
  return `${head} with an explicit deny in ${type === "identity-based policy" ? "an" : "a"} ${type}`;
}

/**
 * AWS's policy evaluation logic for a caller of this account's IAM and STS
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit
 * deny in any identity-based policy (inline or managed), the permissions boundary or the session policies
 * (inline and `PolicyArns`) refuses; otherwise the identity-based policies must allow, and the boundary
 * when the role has one, and the session policies when the session has any. The account root (static
 * test credentials) has every permission. Documents are parsed once per text (a bounded cache), so a
 * decision costs the role's look-ups (cached by the repository) and the statement matching.
 */
export class Authorizer {
  private readonly parsed: PolicyCache;

  constructor(
    private readonly repo: IamRepository,
    private readonly rolePolicies: RolePolicyModel,
    private readonly policies: PolicyModel,
    parseIdentity: (text: string) => Policy,
    private readonly clock: Clock,
  ) {
    this.parsed = new PolicyCache(parseIdentity, 2000);
  }

  /** The decision for `caller` (root: always allowed) making `request`. Never throws an AwsError. */
  async authorize(caller: Caller, request: AuthzRequest): Promise<AuthzDecision> {
    if (caller.kind === "root") return { allowed: true, reason: "root", statements: [] };
    return this.authorizeSession(caller.session, request);
  }

  async authorizeSession(session: RoleSession, request: AuthzRequest): Promise<AuthzDecision> {
    const sources = await this.policiesOf(session);
    const principalArn = assumedRoleArn(session);
    const principal: RequestPrincipal = {
      type: "AWS",
      arn: principalArn,
      account: session.account,
      roleArn: roleArnOf(session),
    };
    const context = requestContext({ ...this.globalKeys(session, request), ...request.context });
    const evaluated = sources.map((p) => ({
      ...p,
      result: evaluate(p.policy, { principal, action: request.action, resource: request.resource, context }),
    }));
    const refuse = (
      reason: "explicit-deny" | "implicit-deny",
      type: PolicyType,
      statements: DecidingStatement[],
    ) => ({
      allowed: false,
      reason,
      policyType: type,
      statements,
      message: accessDeniedMessage(principalArn, request.action, request.resource, reason, type),
      trace: evaluated.map(
        (p): PolicyTrace => ({
          policyType: p.type,
          policy: p.name,
          result: p.result.reason,
          statements: p.result.statements.map((t) => ({
            index: t.index,
            sid: t.sid,
            effect: t.effect,
            applies: t.applies,
            action: t.action.matched,
            resource: t.resource?.matched ?? true,
            conditions: t.conditions.map((c) => ({
              operator: c.operator,
              key: c.key,
              result: c.result,
              reason: c.reason,
            })),
          })),
        }),
      ),
    });
    const denying = evaluated.find((p) => p.result.reason === "explicit-deny");
    if (denying) {
      return refuse("explicit-deny", denying.type, deciding(denying, denying.result, "Deny"));
    }
    const allows: DecidingStatement[] = [];
    for (const type of ["identity-based policy", "permissions boundary", "session policy"] as const) {
      const ofType = evaluated.filter((p) => p.type === type);
      // No boundary, no session policy: that type does not limit the session.
      if (ofType.length === 0 && type !== "identity-based policy") continue;
      const allowing = ofType.find((p) => p.result.decision === "allow");
      if (!allowing) return refuse("implicit-deny", type, []);
      allows.push(...deciding(allowing, allowing.result, "Allow"));
    }
    return { allowed: true, reason: "allowed", statements: allows };
  }

  /** The session's role's inline and attached policies, its boundary, and the session's own policies. */
  private async policiesOf(session: RoleSession): Promise<NamedPolicy[]> {
    const out: NamedPolicy[] = [];
    const role = await this.repo.getRole(session.account, session.roleName);
    if (role) {
      for (const inline of await this.repo.listRolePolicies(role.account, role.name)) {
        out.push({
          type: "identity-based policy",
          name: `inline:${inline.name}`,
          policy: this.parsed.get(inline.document),
        });
      }
      for (const arn of await this.rolePolicies.attachedArns(role)) {
        const text = await this.policies.defaultDocument(role.account, arn);
        if (text !== undefined)
          out.push({ type: "identity-based policy", name: arn, policy: this.parsed.get(text) });
      }
      if (role.permissionsBoundary) {
        const text = await this.policies.defaultDocument(role.account, role.permissionsBoundary);
        // A boundary whose policy is gone allows nothing (AWS refuses to delete a policy in use as one).
        out.push({
          type: "permissions boundary",
          name: role.permissionsBoundary,
          policy: text === undefined ? ALLOWS_NOTHING : this.parsed.get(text),
        });
      }
    }
    if (session.sessionPolicy !== undefined) {
      out.push({
        type: "session policy",
        name: "session:inline",
        policy: this.parsed.get(session.sessionPolicy),
      });
    }
    for (const arn of session.sessionPolicyArns ?? []) {
      const text = await this.policies.defaultDocument(session.account, arn).catch(() => undefined);
      out.push({
        type: "session policy",
        name: arn,
        policy: text === undefined ? ALLOWS_NOTHING : this.parsed.get(text),
      });
    }
    return out;
  }

  /** The global condition keys of a role session's request (reference_policies_condition-keys.html). */
  private globalKeys(session: RoleSession, request: AuthzRequest): ContextInput {
    const now = this.clock();
    return {
      "aws:PrincipalArn": roleArnOf(session),
      "aws:PrincipalAccount": session.account,
      "aws:PrincipalType": "AssumedRole",
      "aws:userid": `${session.roleId}:${session.sessionName}`,
      "aws:SourceIdentity": session.sourceIdentity,
      "aws:FederatedProvider": session.federatedProvider,
      "aws:TokenIssueTime": isoSeconds(session.issuedAt * 1000),
      ...Object.fromEntries(session.tags.map((t) => [`aws:PrincipalTag/${t.key}`, t.value])),
      "aws:CurrentTime": isoSeconds(now),
      "aws:EpochTime": Math.floor(now / 1000),
      "aws:SourceIp": request.sourceIp,
      "aws:UserAgent": request.userAgent,
      // True over HTTPS (`serve --aws-emulator`), false over the emulator's plain HTTP.
      "aws:SecureTransport": request.secureTransport === true,
    };
  }
}

const ALLOWS_NOTHING: Policy = { version: "2012-10-17", id: undefined, statements: [] };

function deciding(p: NamedPolicy, result: Evaluation, effect: "Allow" | "Deny"): DecidingStatement[] {
  const s = result.statements.find((x) => x.applies && x.effect === effect);
  return s ? [{ policyType: p.type, policy: p.name, index: s.index, sid: s.sid }] : [];
}
