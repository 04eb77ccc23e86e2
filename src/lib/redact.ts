/**
 * The one place that decides what a log line may not show. Every logger keyless builds (the issuer's
 * pino logger in server/logger.ts, which Fastify and the emulator mounted under `serve --aws-emulator`
 * share, and the standalone emulator's) redacts through these functions, so a secret-bearing name added
 * here is redacted everywhere.
 *
 * Secrets travel in query strings more often than one would like: AWS's query protocol accepts every
 * parameter there (`WebIdentityToken` of AssumeRoleWithWebIdentity,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html), presigned
 * URLs carry `X-Amz-Signature`, `X-Amz-Credential` and `X-Amz-Security-Token`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#add-signature-to-request),
 * and a job may put its request token in the URL instead of the `Authorization` header.
 */

export const REDACTED = "[redacted]";

/**
 * Parameter names whose value is a secret, by the words such names are built from (compared without
 * case, hyphens or underscores): tokens of every kind (`WebIdentityToken`, `SessionToken`,
 * `X-Amz-Security-Token`, `id_token`, `requestToken`), secrets and passwords (`SecretAccessKey`,
 * `client_secret`, `Password`), signatures and credentials (`X-Amz-Signature`, `X-Amz-Credential`,
 * `Signature`), SAML assertions, API keys and OAuth codes.
 */
const SECRET_NAME = /token|secret|passw|pwd|signature|credential|assertion|apikey|^code$|^key$|^kek$|^sig$/;

/** True when a parameter, header or member called `name` carries a secret (see SECRET_NAME). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[-_]/g, ""));
}

/**
 * `url` (a path with an optional query string, or an absolute URL) with the value of every
 * secret-bearing query parameter replaced by `[redacted]`; everything else is kept byte for byte. Names
 * are compared after percent-decoding (`X%2DAmz%2DSignature` is still a signature). Never throws.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const hash = url.indexOf("#", q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      return isSecretName(decodeName(rawName)) ? `${rawName}=${REDACTED}` : pair;
    })
    .join("&");
  return `${url.slice(0, q + 1)}${redacted}${hash < 0 ? "" : url.slice(hash)}`;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
  }
}

/**
 * Free text (an error message) with every URL query parameter and every `name=value` pair whose name is
 * secret-bearing redacted, and anything shaped like a JWS (three base64url parts, the first `eyJ`)
 * replaced. For messages that may quote a request; structured fields are redacted by name instead.
 */
export function redactText(text: string): string {
  return text
    .replace(/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED)
    .replace(/([A-Za-z0-9%_.-]+)=([^&\s"'<>]*)/g, (whole, name: string) =>
      isSecretName(decodeName(name)) ? `${name}=${REDACTED}` : whole,
    );
}
