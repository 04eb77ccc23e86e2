import { isoSeconds } from "../../core/aws/time.js";
import { assumedRoleArn, type Caller, roleArnOf } from "../credentials/caller.js";
import type { CallRecord } from "./authorize-service.js";
import type { AuthzDecision, DecidingStatement, PolicyTrace, PolicyType } from "./authorizer.js";

/**
 * One emulator call as a CloudTrail event (the record fields of
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * and `userIdentity` of
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html),
 * plus `keyless`: the authorization decision and why (the statements that allowed it, or the policy type
 * and trace that refused it).
 */
export interface DecisionEvent {
  readonly eventVersion: "1.08";
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventSource: "iam.amazonaws.com" | "sts.amazonaws.com";
  readonly eventName: string;
  readonly awsRegion: "us-east-1";
  readonly eventType: "AwsApiCall";
  readonly requestID: string;
  readonly sourceIPAddress?: string;
  readonly userAgent?: string;
  readonly recipientAccountId?: string;
  readonly userIdentity: Record<string, unknown>;
  readonly requestParameters: Record<string, unknown> | null;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly keyless: KeylessReason;
}

export interface KeylessReason {
  /** `allow`, `deny`; `not-evaluated` for calls authorized elsewhere (STS: trust policies) or not at all. */
  readonly decision: "allow" | "deny" | "not-evaluated";
  readonly action?: string;
  readonly resource?: string;
  readonly reason?: AuthzDecision["reason"];
  readonly policyType?: PolicyType;
  readonly statements?: readonly DecidingStatement[];
  readonly context?: Record<string, unknown>;
  readonly trace?: readonly PolicyTrace[];
}

/** Parameters CloudTrail leaves out or that carry secrets: never written. */
const SECRET = /token|secret|password|^action$|^version$|^x-amz/i;
const MAX_VALUE = 2048;

/** The request's form parameters, CloudTrail style (lower camel case), secrets left out, values capped. */
export function requestParameters(params: Iterable<[string, string]>): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (SECRET.test(key)) continue;
    const name = key.charAt(0).toLowerCase() + key.slice(1);
    out[name] = value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
  }
  return Object.keys(out).length > 0 ? out : null;
}

function identityOf(
  caller: Caller | undefined,
  webIdentity: WebIdentity | undefined,
): Record<string, unknown> {
  if (caller === undefined) {
    if (!webIdentity) return { type: "WebIdentityUser" };
    return {
      type: "WebIdentityUser",
      principalId: `${webIdentity.provider}:${webIdentity.audience}:${webIdentity.subject}`,
      userName: webIdentity.subject,
      identityProvider: webIdentity.provider,
    };
  }
  if (caller.kind === "root") {
    return {
      type: "Root",
      principalId: caller.account,
      arn: `arn:aws:iam::${caller.account}:root`,
      accountId: caller.account,
    };
  }
  const s = caller.session;
  return {
    type: "AssumedRole",
    principalId: `${s.roleId}:${s.sessionName}`,
    arn: assumedRoleArn(s),
    accountId: s.account,
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: s.roleId,
        arn: roleArnOf(s),
        accountId: s.account,
        userName: s.roleName,
      },
      ...(s.federatedProvider
        ? {
            webIdFederationData: {
              federatedProvider: s.federatedProvider,
              attributes: s.webIdentitySubject !== undefined ? { sub: s.webIdentitySubject } : {},
            },
          }
        : {}),
      attributes: { creationDate: isoSeconds(s.issuedAt * 1000), mfaAuthenticated: "false" },
    },
  };
}

interface WebIdentity {
  provider: string;
  audience: string;
  subject: string;
}

/** The web identity a token names (its claims, unverified: for the log only; the token is never kept). */
function webIdentityOf(
  record: CallRecord,
  result: Record<string, unknown> | undefined,
): WebIdentity | undefined {
  if (record.action !== "AssumeRoleWithWebIdentity") return undefined;
  if (result && typeof result.Provider === "string") {
    return {
      provider: result.Provider,
      audience: String(result.Audience ?? ""),
      subject: String(result.SubjectFromWebIdentityToken ?? ""),
    };
  }
  const token = (record.params.string("WebIdentityToken") ?? "").trim();
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    const aud = Array.isArray(claims.aud) ? claims.aud.join(",") : String(claims.aud ?? "");
    return {
      provider: String(claims.iss ?? "").replace(/^https:\/\//, ""),
      audience: aud,
      subject: String(claims.sub ?? ""),
    };
  } catch {
    return undefined;
  }
}

/** Builds the event for one call; `id` and `time` (ms since the epoch) come from the caller. */
export function decisionEvent(record: CallRecord, id: string, time: number): DecisionEvent {
  const result = record.result as Record<string, unknown> | undefined;
  const { context, authz, error } = record;
  const caller = context.caller as Caller | undefined;
  const ua = context.request.headers["user-agent"];
  const keyless: KeylessReason = authz
    ? {
        decision: authz.decision.allowed ? "allow" : "deny",
        action: authz.request.action,
        resource: authz.request.resource,
        reason: authz.decision.reason,
        ...(authz.decision.policyType ? { policyType: authz.decision.policyType } : {}),
        statements: authz.decision.statements,
        ...(authz.decision.allowed
          ? {}
          : { context: authz.request.context, trace: authz.decision.trace ?? [] }),
      }
    : { decision: "not-evaluated", action: `${record.service}:${record.action}` };
  return {
    eventVersion: "1.08",
    eventID: id,
    eventTime: isoSeconds(time),
    eventSource: record.service === "iam" ? "iam.amazonaws.com" : "sts.amazonaws.com",
    eventName: record.action,
    awsRegion: "us-east-1",
    eventType: "AwsApiCall",
    requestID: context.requestId,
    ...(context.request.remoteAddress
      ? { sourceIPAddress: context.request.remoteAddress.replace(/^::ffff:/, "") }
      : {}),
    ...(typeof ua === "string" ? { userAgent: ua } : {}),
    ...(caller
      ? { recipientAccountId: caller.kind === "root" ? caller.account : caller.session.account }
      : {}),
    userIdentity: identityOf(caller, webIdentityOf(record, result)),
    requestParameters: requestParameters(record.params.entries()),
    ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
    keyless,
  };
}
