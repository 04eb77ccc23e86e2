import { type ExplainReport, explainAssumeRoleWithWebIdentity } from "../analysis/explain/report.js";
import type { Finding } from "../analysis/lint/findings.js";
import { lintSource } from "../analysis/lint/lint.js";
import { PolicyError, parsePolicy } from "../core/policy/index.js";

/** What the playground shows for one policy and one set of claims. */
export interface PlaygroundResult {
  /** `keyless explain --json`'s document for these inputs; absent when an input is refused. */
  readonly report?: ExplainReport;
  /** Why the decision could not be made (a malformed policy with IAM's message, claims without `iss`). */
  readonly error?: string;
  /** `keyless lint`'s findings for the policy (empty when it does not parse). */
  readonly findings: readonly Finding[];
}

export interface PlaygroundInput {
  /** The trust policy as JSON text. */
  readonly policy: string;
  /** The token's claims. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly providerUrl?: string;
  readonly account?: string;
  /** RoleSessionName; `keyless explain`'s default. */
  readonly sessionName?: string;
  /** Epoch milliseconds (`aws:CurrentTime`, `aws:EpochTime`). */
  readonly now: number;
}

/**
 * The decision, the per-statement and per-condition trace, and the lint findings, computed by the same
 * modules as `keyless explain` and `keyless lint`. Pure: it runs in the page, so a policy never leaves it.
 */
export function runPlayground(input: PlaygroundInput): PlaygroundResult {
  let policy: ReturnType<typeof parsePolicy>;
  try {
    policy = parsePolicy(input.policy, { kind: "trust" });
  } catch (error) {
    if (error instanceof PolicyError) {
      return { error: `MalformedPolicyDocument: ${error.message}`, findings: lint(input.policy) };
    }
    throw error;
  }
  const findings = lint(input.policy);
  try {
    const report = explainAssumeRoleWithWebIdentity({
      policy,
      claims: input.claims,
      ...(input.providerUrl ? { providerUrl: input.providerUrl } : {}),
      ...(input.account ? { account: input.account } : {}),
      sessionName: input.sessionName ?? "keyless-explain",
      now: input.now,
    });
    return { report, findings };
  } catch (error) {
    return { error: (error as Error).message, findings };
  }
}

function lint(policy: string): Finding[] {
  try {
    return lintSource({ file: "playground", location: "policy", policy });
  } catch {
    return [];
  }
}

/** A JWT's header and claims, decoded without verifying anything (base64url JSON, RFC 7519 section 7.2,
 * https://www.rfc-editor.org/rfc/rfc7519#section-7.2); undefined when it is not a JWT. */
export function decodeJwt(
  jwt: string,
): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  const parts = jwt.trim().split(".");
  if (parts.length !== 3) return undefined;
  try {
    const json = (s: string) => {
      const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
      const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
      return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
    };
    const header = json(parts[0]!);
    const claims = json(parts[1]!);
    if (typeof header !== "object" || typeof claims !== "object" || !header || !claims) return undefined;
    return { header, claims };
  } catch {
    return undefined;
  }
}
