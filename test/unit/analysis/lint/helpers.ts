import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Finding } from "../../../../src/analysis/lint/findings.js";
import { readText } from "../../../../src/analysis/lint/inputs/index.js";
import { lintSource } from "../../../../src/analysis/lint/lint.js";

export const FIXTURES = fileURLToPath(new URL("../../../../../test/fixtures/lint/", import.meta.url));

export function lintText(text: string, name = "policy.json"): Finding[] {
  return readText(name, text, { strict: true }).flatMap((s) => lintSource(s));
}

export function lintFixture(relative: string): Finding[] {
  return lintText(readFileSync(FIXTURES + relative, "utf8"), relative);
}

export const rules = (findings: readonly Finding[]) => findings.map((f) => f.rule);

const ARN = (host: string) => `arn:aws:iam::444455556666:oidc-provider/${host}`;

/** A one-statement trust policy for a provider host with a Condition block (or none). */
export function trust(
  host: string,
  condition?: object,
  action: string | string[] = "sts:AssumeRoleWithWebIdentity",
): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: ARN(host) },
        Action: action,
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });
}

export const GH = "token.actions.githubusercontent.com";
/** A GitHub statement pinned by immutable ids, with aud: the clean baseline near misses start from. */
export function github(sub: string | string[], operator = "StringEquals", extra: object = {}): string {
  const equals = { [`${GH}:aud`]: "sts.amazonaws.com", ...extra };
  if (operator === "StringEquals") return trust(GH, { StringEquals: { ...equals, [`${GH}:sub`]: sub } });
  return trust(GH, { StringEquals: equals, [operator]: { [`${GH}:sub`]: sub } });
}
