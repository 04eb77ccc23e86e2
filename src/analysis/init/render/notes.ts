import type { InitPlan, RoleSpec } from "../plan.js";

/** The explanation every form carries (as comments, or on stderr for json), one line per entry. */
export function headerLines(plan: InitPlan, command: string): string[] {
  const tooling = plan.roles.filter((r) => r.kind === "web-identity");
  const workloads = [...new Set(plan.roles.filter((r) => r.kind === "chained").map((r) => r.account))];
  return [
    `Written by: ${command}`,
    "",
    `${plan.title} pipelines reach AWS with OpenID Connect tokens instead of stored keys:`,
    ...(plan.provider.builtin
      ? [
          `- no IAM OIDC identity provider: ${plan.provider.prefix} is one of AWS's built-in providers,`,
          "  which the trust policy names by its host;",
        ]
      : [
          `- an IAM OIDC identity provider for ${plan.provider.url} in account ${plan.provider.account},`,
          `  audience (client id) ${plan.provider.clientIds.join(", ")}; no TLS thumbprint${plan.provider.thumbprints.length > 0 ? " besides the ones given" : ""}: AWS verifies`,
          "  publicly trusted certificates itself and ignores thumbprints for them;",
        ]),
    `- ${tooling.length === 1 ? "one role" : `${tooling.length} roles (${tooling.map((r) => r.phase).join(", ")}: a read-only plan never gets apply's credentials)`} that only those tokens can assume${workloads.length > 0 ? "," : "."}`,
    ...(workloads.length > 0
      ? [
          `- and in each workload account (${workloads.join(", ")}) a role that only the tooling role`,
          `  ${tooling.length > 1 ? "of the same phase " : ""}can assume with sts:AssumeRole (role chaining: sessions of at most 1 hour).`,
        ]
      : []),
    "",
    "The roles get no permissions here besides the chaining hop: attach what the pipeline deploys.",
    "Every trust policy passes `keyless lint --fail-on info`" +
      (plan.unavoidable.length > 0
        ? ` except ${plan.unavoidable.map((u) => `${u.rule} (${u.why})`).join("; ")}.`
        : "."),
    "",
    "How the pipeline uses it:",
    ...plan.usage.map((u) => `  ${u}`),
  ];
}

export function roleLines(role: RoleSpec): string[] {
  return [`${role.name} in ${role.account}: ${role.description}.`, ...role.why.map((w) => `- ${w}`)];
}

/** The policy as IAM stores it, indented for reading. */
export const policyJson = (document: object): string => JSON.stringify(document, null, 2);
