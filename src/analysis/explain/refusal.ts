import { parsePolicy } from "../../core/policy/index.js";
import { decodeToken } from "../../core/token/decode.js";
import { EmulatorRoleError, trustPolicyFromEmulator } from "./emulator-role.js";
import { renderExplanation } from "./render.js";
import { ExplainInputError, explainAssumeRoleWithWebIdentity } from "./report.js";

/**
 * What to say when STS refuses a token (the runner reports the refusal; the CLI asks this module,
 * loaded on a refusal only, to explain it). Against the keyless emulator the role's trust policy can be
 * read (IAM GetRole with the emulator's static test credentials for the role's account), so the answer
 * is exactly what `keyless explain` says. Against real AWS it cannot (the job has no IAM credentials
 * yet): the answer is the decoded claims STS compared and the usual causes of that error.
 */
export interface Diagnosis {
  readonly text: string;
}

/** A refused AssumeRoleWithWebIdentity: STS's error code and message, and what was sent where. */
export interface Refusal {
  /** STS's error code: AccessDenied, InvalidIdentityToken, ExpiredTokenException, IDPRejectedClaim. */
  readonly awsCode: string;
  readonly message: string;
  /** The web identity token sent (a JWT; not printed, only its compared claims). */
  readonly token: string;
  readonly roleArn: string;
  readonly sessionName: string;
  /** The STS endpoint asked; undefined for AWS's regional endpoint. */
  readonly endpoint: string | undefined;
  readonly region: string;
}

const CAUSES: Record<string, string[]> = {
  AccessDenied: [
    "the trust policy's conditions do not match the token's claims (compare the sub and aud below with the policy)",
    "the token carries session tags (https://aws.amazon.com/tags) but the trust policy does not allow sts:TagSession",
    "the trust policy's Federated principal names another provider (or another account's)",
    "the role does not exist (AWS says the same for a missing role)",
    "a condition uses a custom claim: AWS only knows sub, aud, amr, email, oaud (and a few per-platform keys)",
  ],
  InvalidIdentityToken: [
    "no IAM OIDC provider in the role's account has a URL equal to the token's iss (trailing slash and case count)",
    "the audience (azp, or aud) is not in the provider's client id list",
    "AWS could not fetch the issuer's discovery document or JWKS from the public internet",
  ],
  ExpiredTokenException: [
    "the token expired before the exchange: fetch a fresh one (keyless exec does this by itself)",
  ],
};

/** The explanation of a refusal, as lines for stderr; never throws for a token it cannot decode. */
export async function explainRefusal(refusal: Refusal): Promise<Diagnosis> {
  let claims: Record<string, unknown> = {};
  try {
    claims = decodeToken(refusal.token).claims as Record<string, unknown>;
  } catch {}
  const input = { ...refusal, claims };
  const lines: string[] = [];
  if (input.endpoint && !/amazonaws\.com/.test(input.endpoint)) {
    const explained = await explainFromEmulator(input).catch(() => undefined);
    if (explained) return { text: explained };
  }
  lines.push(`STS refused the exchange: ${refusal.awsCode}: ${refusal.message}`);
  const causes = CAUSES[refusal.awsCode];
  if (causes) {
    lines.push("likely causes:");
    for (const cause of causes) lines.push(`  - ${cause}`);
  }
  const shown: Record<string, unknown> = {};
  for (const key of ["iss", "sub", "aud", "azp", "exp", "https://aws.amazon.com/tags"]) {
    if (input.claims[key] !== undefined) shown[key] = input.claims[key];
  }
  lines.push(`the token's claims that STS compares: ${JSON.stringify(shown)}`);
  lines.push(
    `role: ${input.roleArn}; check it with: keyless explain --policy <trust.json> --token <token file>`,
  );
  return { text: `${lines.join("\n")}\n` };
}

async function explainFromEmulator(input: {
  claims: Record<string, unknown>;
  roleArn: string;
  sessionName: string;
  endpoint: string | undefined;
  region: string;
}): Promise<string | undefined> {
  if (!input.endpoint) return undefined;
  try {
    const policy = parsePolicy(await trustPolicyFromEmulator(input.endpoint, input.roleArn, input.region), {
      kind: "trust",
    });
    const report = explainAssumeRoleWithWebIdentity({
      policy,
      claims: input.claims,
      sessionName: input.sessionName,
      now: Date.now(),
    });
    return `the emulator's trust policy for ${input.roleArn}, evaluated with this token:\n${renderExplanation(report)}`;
  } catch (error) {
    // Not the emulator, or nothing to read: fall back to the claims and the likely causes.
    if (error instanceof ExplainInputError || error instanceof EmulatorRoleError) return undefined;
    throw error;
  }
}
