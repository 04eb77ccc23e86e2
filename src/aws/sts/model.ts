import { oidcProviderArn, parseRoleArn } from "../../core/aws/arn.js";
import {
  assumeRoleRequest,
  authorizeWebIdentity,
  hasAmbiguousAudience,
  ROLES_CLAIM,
  SOURCE_IDENTITY_CLAIM,
  validateSessionTags,
  webIdentityRequest,
} from "../../core/federation/index.js";
import { decide, evaluate, type Policy, requestContext } from "../../core/policy/index.js";
import type { Clock } from "../../lib/clock.js";
import type { IdGenerator } from "../../lib/ids.js";
import { builtinProvider, providerConditionKeys, providerStandardKeys } from "../../platforms/index.js";
import type { Authorizer, AuthzDecision, AuthzRequest } from "../authz/authorizer.js";
import {
  assumedRoleArn,
  type Caller,
  callerIdentity,
  type RoleSession,
  roleArnOf,
  type SessionTag,
} from "../credentials/caller.js";
import { newSecretAccessKey, newTemporaryAccessKeyId } from "../credentials/credentials.js";
import type { SessionSealer } from "../credentials/session-token.js";
import type { IamModel } from "../iam/model.js";
import type { IamRepository, Role } from "../iam/repository.js";
import { enginePolicies, type PolicyCache } from "../policies.js";
import { AwsError } from "../wire/errors.js";
import { PATTERNS, Violations } from "../wire/validation.js";
import { checkRolesClaim, packedSize, policyChecks, SKEW_SECONDS, sessionNameChecks } from "./checks.js";
import type { IdpKeySource } from "./idp-keys.js";
import { STS_MESSAGES } from "./messages.js";
import type { AssumeRoleParams, IssuedCredentials, WebIdentityParams, WebIdentityResult } from "./params.js";
import { decodeToken, timeClaim, verifySignature } from "./token.js";

export type { AssumeRoleParams, IssuedCredentials, WebIdentityParams, WebIdentityResult } from "./params.js";

export class StsModel {
  constructor(
    private readonly iam: IamModel,
    private readonly repo: IamRepository,
    private readonly keys: IdpKeySource,
    private readonly trustPolicies: PolicyCache,
    private readonly sealer: SessionSealer,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    /** Test setting only (`--test-max-session-seconds`): credentials expire after at most this many
     * seconds whatever DurationSeconds says, so refresh paths can be tested in seconds, not hours. */
    private readonly testMaxSessionSeconds?: number,
    /** Evaluates the calling session's policies (identity, boundary, session) when AssumeRole needs them. */
    private readonly authorizer?: Authorizer,
  ) {}

  /**
   * AssumeRoleWithWebIdentity in the order AWS validates (observed against AWS; errors as documented at
   * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html#API_AssumeRoleWithWebIdentity_Errors).
   */
  async assumeRoleWithWebIdentity(p: WebIdentityParams): Promise<WebIdentityResult> {
    // 2–3: parameters, every violation in one message.
    const v = new Violations();
    if (v.required(p.roleArn, "roleArn")) {
      v.length(p.roleArn, "roleArn", 20, 2048);
      v.pattern(p.roleArn, "roleArn", PATTERNS.arn.regex, PATTERNS.arn.shown);
    }
    sessionNameChecks(v, p.roleSessionName);
    if (v.required(p.webIdentityToken, "webIdentityToken"))
      v.length(p.webIdentityToken, "webIdentityToken", 4, 20000);
    v.length(p.providerId, "providerId", 4, 2048);
    v.range(p.durationSeconds, "durationSeconds", 900, 43200);
    policyChecks(v, p.policy, p.policyArns, 2048);
    v.throwIfAny();
    const target = parseRoleArn(p.roleArn!);
    if (target?.partition !== "aws") throw new AwsError("ValidationError", `${p.roleArn} is invalid`);
    const { account } = target;

    // 4: OAuth 2.0 providers (ProviderId: Login with Amazon, Facebook). The emulator has none.
    if (p.providerId !== undefined) {
      if (builtinProvider(p.providerId)?.issuer.builtin?.accessToken) {
        throw new AwsError("IDPCommunicationError", STS_MESSAGES.idpUnreachable(p.providerId));
      }
      throw new AwsError("AccessDenied", STS_MESSAGES.webIdentityDenied);
    }

    // 5–6: decode, required claims.
    // Surrounding whitespace is dropped: clients send token files as read, and the common
    // `jq -r '.value' > token_file` step (seed 003's workflow) leaves a newline that AWS accepts.
    const token = p.webIdentityToken!.trim();
    const decoded = decodeToken(token);
    const { claims } = decoded;
    for (const name of ["iss", "sub", "aud", "iat", "exp"]) {
      if (claims[name] === undefined)
        throw new AwsError("InvalidIdentityToken", STS_MESSAGES.missingClaim(name));
    }
    // `sub: null` is a 500 InternalFailure at AWS; the emulator answers 400 so clients do not retry.
    if (claims.sub === null) throw new AwsError("InvalidIdentityToken", STS_MESSAGES.subNull);
    const iss = typeof claims.iss === "string" ? claims.iss : String(claims.iss);

    // 7: the provider for iss in the role's account: exact text, trailing slash and case included. AWS's
    // built-in providers (Google, Cognito) need none: their keys come from the provider itself.
    const provider = iss.startsWith("https://")
      ? await this.repo.getProvider(account, iss.slice(8))
      : undefined;
    const builtin = provider ? undefined : builtinProvider(iss);
    if (!provider && !builtin) throw new AwsError("InvalidIdentityToken", STS_MESSAGES.noProvider(iss));
    const providerArn = provider
      ? oidcProviderArn(account, provider.url)
      : iss
          .replace(/^https:\/\//i, "")
          .replace(/\/$/, "")
          .toLowerCase();

    // 8–9: keys (discovery + JWKS over HTTPS) and signature.
    await verifySignature(
      token,
      decoded,
      builtin ? builtin.issuer.url! : iss,
      provider?.thumbprints ?? [],
      this.keys,
    );

    // 10: time claims.
    const now = Math.floor(this.clock() / 1000);
    const exp = timeClaim(claims, "exp")!;
    const iat = timeClaim(claims, "iat")!;
    const nbf = timeClaim(claims, "nbf");
    if (now > exp + SKEW_SECONDS) throw new AwsError("ExpiredTokenException", STS_MESSAGES.expired(now, exp));
    if (iat > now + SKEW_SECONDS) throw new AwsError("InvalidIdentityToken", STS_MESSAGES.notYetValid("iat"));
    if (nbf !== undefined && nbf > now + SKEW_SECONDS)
      throw new AwsError("InvalidIdentityToken", STS_MESSAGES.notYetValid("nbf"));

    // 11: audience (azp when present, else the single aud) must be a registered client id.
    const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
    const azp = typeof claims.azp === "string" ? claims.azp : undefined;
    if (hasAmbiguousAudience(claims)) throw new AwsError("InvalidIdentityToken", STS_MESSAGES.manyAudiences);
    const audience = azp ?? aud[0]!;
    // A built-in provider has no client id list in IAM: the trust policy's <host>:aud condition decides.
    if (provider && !provider.clientIds.includes(audience))
      throw new AwsError("InvalidIdentityToken", STS_MESSAGES.audience);

    // 12: the roles claim (2026), when present.
    checkRolesClaim(claims[ROLES_CLAIM], p.roleArn!);

    // 13: the role and its trust policy (a missing role is the same AccessDenied: existence is not revealed).
    const role = await this.iam.findRoleByArn(p.roleArn!);
    if (!role) throw new AwsError("AccessDenied", STS_MESSAGES.webIdentityDenied);
    const built = webIdentityRequest({
      claims,
      ...(builtin ? {} : { providerArn }),
      providerUrl: iss,
      builtin: builtin !== undefined,
      account,
      roleArn: p.roleArn!,
      roleSessionName: p.roleSessionName!,
      ...this.issuerKeys(iss),
      now: this.clock(),
      ...(p.sourceIp ? { sourceIp: p.sourceIp } : {}),
      ...(p.userAgent ? { userAgent: p.userAgent } : {}),
      // True over HTTPS (`serve --aws-emulator`), false over the emulator's plain HTTP.
      secureTransport: p.secureTransport === true,
    });
    // Token tags are checked before the trust policy (the engine builds the context from them).
    if (!built.ok)
      throw new AwsError(
        built.error.code === "InvalidInput" ? "InvalidIdentityToken" : built.error.code,
        built.error.message,
      );
    const request = built.request;
    if (!authorizeWebIdentity(this.trustPolicy(role), request)) {
      throw new AwsError("AccessDenied", STS_MESSAGES.webIdentityDenied);
    }
    const sourceIdentity = request.sourceIdentity;
    if (
      sourceIdentity !== undefined &&
      (!PATTERNS.sessionName.regex.test(sourceIdentity) ||
        sourceIdentity.length < 2 ||
        sourceIdentity.length > 64 ||
        sourceIdentity.startsWith("aws:"))
    ) {
      throw new AwsError(
        "InvalidIdentityToken",
        `The ${SOURCE_IDENTITY_CLAIM} claim is not a valid source identity.`,
      );
    }

    // 14: duration (after trust, so unauthorised callers learn nothing about the role).
    const duration = p.durationSeconds ?? 3600;
    if (duration > role.maxSessionDuration)
      throw new AwsError("ValidationError", STS_MESSAGES.maxSessionDuration);

    // 15–17: session policy grammar, packed size.
    if (p.policy !== undefined) enginePolicies.identity(p.policy);
    const tags = request.tags?.tags ?? [];
    const packed = packedSize(p.policy, p.policyArns, tags);

    const issued = this.issue(role, p.roleSessionName!, duration, {
      tags,
      transitiveTagKeys: request.tags?.transitiveKeys ?? [],
      ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
      federatedProvider: providerArn,
      webIdentitySubject: String(claims.sub),
      packed,
      sessionPolicy: p.policy,
      sessionPolicyArns: p.policyArns,
    });
    return { ...issued, providerArn, audience, subject: String(claims.sub) };
  }

  /** AssumeRole (signed): trust + (across accounts or by account delegation) identity policies; chaining. */
  async assumeRole(caller: Caller, p: AssumeRoleParams): Promise<IssuedCredentials> {
    const v = new Violations();
    if (v.required(p.roleArn, "roleArn")) {
      v.length(p.roleArn, "roleArn", 20, 2048);
      v.pattern(p.roleArn, "roleArn", PATTERNS.arn.regex, PATTERNS.arn.shown);
    }
    sessionNameChecks(v, p.roleSessionName);
    v.range(p.durationSeconds, "durationSeconds", 900, 43200);
    policyChecks(v, p.policy, p.policyArns, Number.POSITIVE_INFINITY);
    v.count(p.tags, "tags", 50);
    v.count(p.transitiveTagKeys, "transitiveTagKeys", 50);
    v.length(p.externalId, "externalId", 2, 1224);
    v.pattern(p.externalId, "externalId", PATTERNS.externalId.regex, PATTERNS.externalId.shown);
    v.length(p.sourceIdentity, "sourceIdentity", 2, 64);
    v.pattern(p.sourceIdentity, "sourceIdentity", PATTERNS.sessionName.regex, PATTERNS.sessionName.shown);
    v.length(p.serialNumber, "serialNumber", 9, 256);
    v.length(p.tokenCode, "tokenCode", 6, 6);
    v.throwIfAny();
    if (parseRoleArn(p.roleArn!)?.partition !== "aws")
      throw new AwsError("ValidationError", `${p.roleArn} is invalid`);
    if (p.policy !== undefined && p.policy.length > 2048) {
      // The 2048-character plaintext limit is documented in prose only; its error is not recorded.
      throw new AwsError(
        "ValidationError",
        "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
      );
    }

    // Session tags: passed ones, plus the transitive tags inherited from a calling role session.
    const passed = (p.tags ?? []).map((t) => ({ key: t.Key, value: t.Value }));
    const tagProblem = validateSessionTags(passed, p.transitiveTagKeys ?? []);
    if (tagProblem) throw new AwsError(tagProblem.code, tagProblem.message);
    const session = caller.kind === "session" ? caller.session : undefined;
    const inheritedKeys = new Set((session?.transitiveTagKeys ?? []).map((k) => k.toLowerCase()));
    const inherited = (session?.tags ?? []).filter((t) => inheritedKeys.has(t.key.toLowerCase()));
    if (passed.some((t) => inheritedKeys.has(t.key.toLowerCase()))) {
      // "If you pass a session tag with the same key as an inherited tag, the operation fails" (model text).
      throw new AwsError(
        "InvalidParameterValue",
        "One or more session tags have the same key as an inherited transitive tag.",
      );
    }
    const sourceIdentity = session?.sourceIdentity ?? p.sourceIdentity;
    if (
      session?.sourceIdentity !== undefined &&
      p.sourceIdentity !== undefined &&
      p.sourceIdentity !== session.sourceIdentity
    ) {
      throw new AwsError("InvalidParameterValue", "The source identity of a role session cannot be changed.");
    }
    if (p.sourceIdentity?.toLowerCase().startsWith("aws:")) {
      throw new AwsError(
        "ValidationError",
        `1 validation error detected: Value '${p.sourceIdentity}' at 'sourceIdentity' failed to satisfy constraint: Member must not begin with aws:`,
      );
    }
    const tags = [...inherited, ...passed];
    const transitiveTagKeys = [
      ...(session?.transitiveTagKeys ?? []).filter((k) => inheritedKeys.has(k.toLowerCase())),
      ...(p.transitiveTagKeys ?? []),
    ];

    const identity = callerIdentity(caller);
    const denied = (action: string) =>
      new AwsError("AccessDenied", STS_MESSAGES.notAuthorized(identity.Arn, action, p.roleArn!));
    const role = await this.iam.findRoleByArn(p.roleArn!);
    if (!role) throw denied("sts:AssumeRole");

    const { principal, actions, context } = assumeRoleRequest({
      caller: {
        arn: identity.Arn,
        userId: identity.UserId,
        ...(session
          ? {
              roleArn: roleArnOf(session),
              principalTags: session.tags,
              sourceIdentity: session.sourceIdentity,
              federatedProvider: session.federatedProvider,
              tokenIssuedAt: session.issuedAt * 1000,
            }
          : {}),
      },
      roleSessionName: p.roleSessionName!,
      externalId: p.externalId,
      sourceIdentity,
      tags,
      transitiveTagKeys,
      now: this.clock(),
      sourceIp: p.sourceIp,
      userAgent: p.userAgent,
      // True over HTTPS (`serve --aws-emulator`), false over the emulator's plain HTTP.
      secureTransport: p.secureTransport === true,
    });

    const trust = this.trustPolicy(role);
    for (const action of actions) {
      const verdict = evaluate(trust, { principal, action, context });
      if (verdict.decision !== "allow") throw denied(action);
      // The caller's policies must allow too when crossing accounts or when the trust policy delegates to
      // the account: an account root has every permission; a role session is limited by its role's
      // identity policies, its boundary and its session policies, as for any other call.
      const needsIdentity = identity.Account !== role.account || verdict.allowedVia === "account";
      if (needsIdentity && session) {
        const decision = await this.authorizeCaller(session, {
          action,
          resource: roleArnOf({ account: role.account, rolePath: role.path, roleName: role.name }),
          context: Object.fromEntries(context),
          ...(p.sourceIp !== undefined ? { sourceIp: p.sourceIp } : {}),
          ...(p.userAgent !== undefined ? { userAgent: p.userAgent } : {}),
        });
        if (!decision) throw denied(action);
        if (!decision.allowed) throw new AwsError("AccessDenied", decision.message ?? "");
      }
    }

    const duration = p.durationSeconds ?? 3600;
    if (session && duration > 3600) throw new AwsError("ValidationError", STS_MESSAGES.chainedDuration);
    if (!session && duration > role.maxSessionDuration)
      throw new AwsError("ValidationError", STS_MESSAGES.maxSessionDuration);
    if (p.policy !== undefined) enginePolicies.identity(p.policy);
    const packed = packedSize(p.policy, p.policyArns, passed);
    return this.issue(role, p.roleSessionName!, duration, {
      tags,
      transitiveTagKeys,
      ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
      ...(session?.federatedProvider ? { federatedProvider: session.federatedProvider } : {}),
      ...(session?.webIdentitySubject !== undefined
        ? { webIdentitySubject: session.webIdentitySubject }
        : {}),
      packed,
      sessionPolicy: p.policy,
      sessionPolicyArns: p.policyArns,
    });
  }

  /** The session's policies on one request; without an authorizer, the role's inline policies only
   * (undefined: refused). */
  private async authorizeCaller(
    session: RoleSession,
    request: AuthzRequest,
  ): Promise<AuthzDecision | undefined> {
    if (this.authorizer) return this.authorizer.authorizeSession(session, request);
    const role = await this.repo.getRole(session.account, session.roleName);
    const policies = role ? await this.iam.identityPolicies(role) : [];
    const principal = { type: "AWS" as const, arn: assumedRoleArn(session), account: session.account };
    const r = {
      principal,
      action: request.action,
      resource: request.resource,
      context: requestContext(request.context),
    };
    const allowed = policies.some((policy) => decide(policy, r) === "allow");
    if (!allowed || policies.some((policy) => evaluate(policy, r).reason === "explicit-deny"))
      return undefined;
    return { allowed: true, reason: "allowed", statements: [] };
  }

  /** The condition keys AWS derives for an issuer, from the platform records: the same for every token of
   * one issuer, so looked up once per issuer (only issuers with a provider or built in get here: bounded). */
  private readonly keysByIssuer = new Map<
    string,
    { providerKeys: ReturnType<typeof providerConditionKeys>; standardKeys: readonly string[] }
  >();
  private issuerKeys(iss: string) {
    let keys = this.keysByIssuer.get(iss);
    if (!keys) {
      keys = { providerKeys: providerConditionKeys(iss), standardKeys: providerStandardKeys(iss) };
      this.keysByIssuer.set(iss, keys);
    }
    return keys;
  }

  private trustPolicy(role: Role): Policy {
    return this.trustPolicies.get(role.trustPolicy);
  }

  private issue(
    role: Role,
    sessionName: string,
    duration: number,
    extra: {
      tags: readonly SessionTag[];
      transitiveTagKeys: readonly string[];
      sourceIdentity?: string;
      federatedProvider?: string;
      packed: number | undefined;
      webIdentitySubject?: string;
      sessionPolicy?: string | undefined;
      sessionPolicyArns?: readonly string[] | undefined;
    },
  ): IssuedCredentials {
    const issuedAt = Math.floor(this.clock() / 1000);
    const session: RoleSession = {
      accessKeyId: newTemporaryAccessKeyId(this.ids),
      secretAccessKey: newSecretAccessKey(this.ids),
      account: role.account,
      roleName: role.name,
      rolePath: role.path,
      roleId: role.id,
      sessionName,
      issuedAt,
      // Credentials last DurationSeconds whatever the token's remaining lifetime (API_AssumeRoleWithWebIdentity:
      // "the temporary security credentials are valid for the duration that you specified").
      expiresAt: issuedAt + Math.min(duration, this.testMaxSessionSeconds ?? duration),
      tags: extra.tags.map((t) => ({ key: t.key, value: t.value })),
      transitiveTagKeys: [...extra.transitiveTagKeys],
      ...(extra.sourceIdentity !== undefined ? { sourceIdentity: extra.sourceIdentity } : {}),
      ...(extra.federatedProvider !== undefined ? { federatedProvider: extra.federatedProvider } : {}),
      ...(extra.webIdentitySubject !== undefined ? { webIdentitySubject: extra.webIdentitySubject } : {}),
      ...(extra.sessionPolicy !== undefined ? { sessionPolicy: extra.sessionPolicy } : {}),
      ...(extra.sessionPolicyArns?.length ? { sessionPolicyArns: [...extra.sessionPolicyArns] } : {}),
    };
    return { session, sessionToken: this.sealer.seal(session), packedPolicySize: extra.packed };
  }
}

export const assumedRoleUser = (s: RoleSession) => ({
  AssumedRoleId: `${s.roleId}:${s.sessionName}`,
  Arn: assumedRoleArn(s),
});
