import { parseAllDocuments } from "yaml";
import type { InitPlatform, Scope } from "../../../../src/analysis/init/index.js";
import type { Finding } from "../../../../src/analysis/lint/findings.js";
import { readText } from "../../../../src/analysis/lint/inputs/index.js";
import { lintSource } from "../../../../src/analysis/lint/lint.js";

export const TOOLING = "111122223333";
export const WORKLOADS = ["444455556666", "777788889999"];

/** The narrowest scope each platform allows: every id that makes the trust immutable. */
export const FULL: Readonly<Record<InitPlatform, Scope>> = {
  keyless: { issuer: "https://id.example.com", organization: "acme", project: "core", environment: "prod" },
  env0: {
    "organization-subject": "auth0|632b8219674bde0224a96141",
    "organization-id": "66a38abf-69bc-4cb7-ad73-7f61e389079f",
    "project-id": "1a433171-217e-4f58-9b4e-308d4d77902f",
    "environment-id": "0c6a1f7e-2b1d-4c89-9d2a-5f0e8e1d2c3b",
  },
  spacelift: { organization: "acme", "space-path": "/root/production", stack: "core-infra" },
  tfc: { organization: "acme", project: "core", workspace: "prod" },
  github: {
    organization: "acme",
    repository: "infra",
    branch: "main",
    "owner-id": "5550123",
    "repository-id": "9876543",
  },
  gitlab: {
    organization: "acme",
    project: "infra",
    branch: "main",
    "project-id": "4242",
    "namespace-id": "77",
  },
  buildkite: {
    organization: "acme",
    pipeline: "deploy",
    branch: "main",
    step: "apply",
    "organization-id": "0d7f2a51-2c1e-4a57-9b0c-2d5e0f6e7a18",
  },
  circleci: {
    "organization-id": "b0b4b0b4-1111-2222-3333-444455556666",
    "project-id": "c0c0c0c0-aaaa-bbbb-cccc-ddddeeeeffff",
    "vcs-origin": "github.com/acme/infra",
  },
  // A Google Cloud service account: its ID tokens carry azp = sub = its unique id.
  google: { audience: "106208441234567890123", subject: "106208441234567890123" },
  cognito: { "identity-pool-id": "us-east-1:12345678-1234-1234-1234-123456789012" },
};

/** The least each platform needs, and the findings that leaves (the platform has no immutable id in
 * the AWS keys written, or the subject names a non-unique slug). */
export const MINIMAL: Readonly<Record<InitPlatform, { scope: Scope; remaining: string[] }>> = {
  keyless: { scope: FULL.keyless, remaining: [] },
  env0: {
    scope: {
      "organization-subject": FULL.env0["organization-subject"]!,
      "organization-id": FULL.env0["organization-id"]!,
    },
    remaining: [],
  },
  spacelift: {
    scope: { organization: "acme", space: "production", stack: "core-infra" },
    remaining: ["OIDC-013", "OIDC-017"],
  },
  tfc: { scope: { organization: "acme", workspace: "prod" }, remaining: ["OIDC-013"] },
  github: { scope: { organization: "acme", repository: "infra" }, remaining: ["OIDC-013"] },
  gitlab: { scope: { organization: "acme", project: "infra" }, remaining: ["OIDC-013"] },
  buildkite: { scope: { organization: "acme", pipeline: "deploy" }, remaining: ["OIDC-013"] },
  circleci: { scope: FULL.circleci, remaining: [] },
  google: { scope: FULL.google, remaining: [] },
  cognito: { scope: FULL.cognito, remaining: ["OIDC-202"] },
};

/** keyless runs on a custom host: lint learns the platform as a user tells it. */
export const lintOptions = (platform: InitPlatform) =>
  platform === "keyless" ? { platforms: { fallback: "keyless" as const } } : {};

export function lintPolicy(platform: InitPlatform, policy: object | string, name = "policy.json"): Finding[] {
  const text = typeof policy === "string" ? policy : JSON.stringify(policy);
  return readText(name, text, { strict: true }).flatMap((s) => lintSource(s, lintOptions(platform)));
}

/** Every trust policy of a Terraform form: the heredoc after `assume_role_policy`. */
export function terraformTrustPolicies(tf: string): { resource: string; policy: object }[] {
  const out: { resource: string; policy: object }[] = [];
  const role = /resource "aws_iam_role" "(\w+)" \{\n([\s\S]*?)\n\}\n/g;
  for (const m of tf.matchAll(role)) {
    const body = m[2]!;
    const heredoc = /assume_role_policy\s+= <<-EOT\n([\s\S]*?)\n\s*EOT/.exec(body);
    if (!heredoc) throw new Error(`aws_iam_role.${m[1]} has no assume_role_policy heredoc`);
    out.push({ resource: m[1]!, policy: JSON.parse(heredoc[1]!) });
  }
  return out;
}

/** The documents of a multi-document CloudFormation YAML stream. */
export function yamlDocuments(text: string): string[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error("not YAML");
  for (const d of docs) if (d.errors.length > 0) throw new Error(d.errors[0]!.message);
  return docs.map((d) => d.toString());
}

/** The policies a cli script writes with `cat >FILE <<'POLICY'`. */
export function cliPolicies(script: string): { file: string; policy: object }[] {
  return [...script.matchAll(/cat >"\$workdir\/([\w.]+)" <<'POLICY'\n([\s\S]*?)\nPOLICY\n/g)].map((m) => ({
    file: m[1]!,
    policy: JSON.parse(m[2]!),
  }));
}
