import { isoSeconds } from "../../core/aws/time.js";
import { type Caller, callerIdentity } from "../credentials/caller.js";
import type { QueryService, WireRequest } from "../wire/endpoint.js";
import { header } from "../wire/sigv4.js";
import type { XmlStruct } from "../wire/xml.js";
import { assumedRoleUser, type IssuedCredentials, type StsModel } from "./model.js";

export const STS_VERSION = "2011-06-15";
export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

function credentialsXml(issued: IssuedCredentials): XmlStruct {
  const s = issued.session;
  return {
    AccessKeyId: s.accessKeyId,
    SecretAccessKey: s.secretAccessKey,
    SessionToken: issued.sessionToken,
    Expiration: isoSeconds(s.expiresAt * 1000),
  };
}

const origin = (r: WireRequest) => ({
  ...(r.remoteAddress ? { sourceIp: r.remoteAddress.replace(/^::ffff:/, "") } : {}),
  ...(header(r.headers, "user-agent") ? { userAgent: header(r.headers, "user-agent")! } : {}),
  ...(r.secure ? { secureTransport: true } : {}),
});

const policyArns = (members: Record<string, string>[] | undefined) => members?.map((m) => m.arn ?? "");

/** The STS wire: AssumeRoleWithWebIdentity (unsigned), AssumeRole and GetCallerIdentity (signed). */
export function stsService(model: StsModel): QueryService<Caller> {
  return {
    version: STS_VERSION,
    namespace: STS_NAMESPACE,
    signingName: "sts",
    actions: {
      AssumeRoleWithWebIdentity: {
        unsigned: true,
        run: async (p, c) => {
          const r = await model.assumeRoleWithWebIdentity({
            roleArn: p.string("RoleArn"),
            roleSessionName: p.string("RoleSessionName"),
            webIdentityToken: p.string("WebIdentityToken"),
            providerId: p.string("ProviderId"),
            durationSeconds: p.integer("DurationSeconds"),
            policy: p.string("Policy"),
            policyArns: policyArns(p.structList("PolicyArns")),
            ...origin(c.request),
          });
          return {
            Credentials: credentialsXml(r),
            SubjectFromWebIdentityToken: r.subject,
            AssumedRoleUser: assumedRoleUser(r.session),
            PackedPolicySize: r.packedPolicySize,
            Provider: r.providerArn,
            Audience: r.audience,
            SourceIdentity: r.session.sourceIdentity,
          };
        },
      },
      AssumeRole: {
        run: async (p, c) => {
          const r = await model.assumeRole(c.caller, {
            roleArn: p.string("RoleArn"),
            roleSessionName: p.string("RoleSessionName"),
            durationSeconds: p.integer("DurationSeconds"),
            policy: p.string("Policy"),
            policyArns: policyArns(p.structList("PolicyArns")),
            tags: p.tags("Tags"),
            transitiveTagKeys: p.list("TransitiveTagKeys"),
            externalId: p.string("ExternalId"),
            sourceIdentity: p.string("SourceIdentity"),
            serialNumber: p.string("SerialNumber"),
            tokenCode: p.string("TokenCode"),
            ...origin(c.request),
          });
          return {
            Credentials: credentialsXml(r),
            AssumedRoleUser: assumedRoleUser(r.session),
            PackedPolicySize: r.packedPolicySize,
            SourceIdentity: r.session.sourceIdentity,
          };
        },
      },
      // No permission is needed: even an explicit deny does not stop it (STS API:GetCallerIdentity).
      GetCallerIdentity: { run: (_p, c) => ({ ...callerIdentity(c.caller) }) },
    },
  };
}
