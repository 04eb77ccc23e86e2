import { MANY_AUDIENCES } from "../../core/federation/index.js";
/**
 * STS's texts. Most are AWS's own, as STS returns them (error codes:
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html#API_AssumeRoleWithWebIdentity_Errors);
 * where AWS has never been seen to print one (non-JWT, bad signature, unsupported alg, future iat/nbf,
 * bad time claims) the text is the emulator's choice: the same code (InvalidIdentityToken) and one
 * factual sentence.
 */
export const STS_MESSAGES = {
  notJwt: "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
  missingClaim: (name: string) => `Missing a required claim: ${name}`,
  noProvider: (iss: string) => `No OpenIDConnect provider found in your account for ${iss}`,
  noKey:
    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
  thumbprint: "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
  unsupportedAlg: (alg: string) =>
    `The token is signed with ${alg}, which is not supported: use RS256, RS384, RS512, ES256, ES384 or ES512.`,
  badSignature: "The token's signature does not verify with the identity provider's key.",
  badTimeClaim: (name: string) => `The token's ${name} claim must be an integer number of seconds.`,
  notYetValid: (name: string) => `The token's ${name} claim is more than 5 minutes in the future.`,
  expired: (now: number, exp: number) =>
    `Token expired: current date/time ${now} must be before the expiration date/time ${exp}`,
  manyAudiences: MANY_AUDIENCES,
  audience: "Incorrect token audience",
  rolesClaimMissingRole: "The target role ARN is not present in the roles claim of the identity token",
  rolesClaimEmpty: "The roles claim contains no valid role ARNs",
  idpUnreachable: (iss: string) => `Couldn't connect to the identity provider at ${iss}.`,
  webIdentityDenied: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
  notAuthorized: (caller: string, action: string, resource: string) =>
    `User: ${caller} is not authorized to perform: ${action} on resource: ${resource}`,
  maxSessionDuration: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
  chainedDuration:
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
  packed: (percent: number) => `Packed policy consumes ${percent}% of allotted space`,
  subNull: "Unknown error validating third-party token",
} as const;
