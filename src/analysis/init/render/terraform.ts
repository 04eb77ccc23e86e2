import type { InitPlan, RoleSpec } from "../plan.js";
import { headerLines, policyJson, roleLines } from "./notes.js";

/**
 * The Terraform form: one configuration, the tooling account as the default provider and one aliased
 * provider per workload account. Policies are plain JSON in heredocs (no jsonencode, no interpolation),
 * so what a reviewer reads — and what `keyless lint` and the tests parse — is byte for byte what IAM
 * receives. Written already in `terraform fmt` style: attribute `=` signs aligned within a run of
 * single-line attributes, two-space indentation.
 */
export function renderTerraform(plan: InitPlan, command: string): string {
  const out: string[] = [];
  out.push(...comment(headerLines(plan, command), ""), "");
  const workloads = [...new Set(plan.roles.filter((r) => r.kind === "chained").map((r) => r.account))];
  out.push(
    "terraform {",
    '  required_version = ">= 1.6"',
    "  required_providers {",
    "    aws = {",
    ...align(["source", '"hashicorp/aws"'], ["version", '">= 5.81"'], "      "),
    ...comment(["5.81 and later make thumbprint_list optional, as IAM now does."], "      "),
    "    }",
    "  }",
    "}",
    "",
    ...comment(
      [`The tooling account, where the identity provider and the OIDC role${plural(plan)} live.`],
      "",
    ),
    'provider "aws" {',
    `  allowed_account_ids = ["${plan.provider.account}"]`,
    "}",
    "",
  );
  if (workloads.length > 0) {
    out.push(
      ...comment(
        [
          "Terraform reaches each workload account through a role that can create IAM roles there",
          "(AWS Organizations' default is OrganizationAccountAccessRole).",
        ],
        "",
      ),
      'variable "workload_admin_role" {',
      ...align(
        ["description", '"Role assumed in each workload account to create the pipeline role"'],
        ["type", "string"],
        ["default", '"OrganizationAccountAccessRole"'],
        "  ",
      ),
      "}",
      "",
    );
    for (const account of workloads) {
      out.push(
        'provider "aws" {',
        ...align(["alias", `"workload_${account}"`], ["allowed_account_ids", `["${account}"]`], "  "),
        "  assume_role {",
        `    role_arn = "arn:aws:iam::${account}:role/\${var.workload_admin_role}"`,
        "  }",
        "}",
        "",
      );
    }
  }
  // A built-in provider (Google, Cognito) has no IAM resource: the trust names the bare host.
  if (!plan.provider.builtin)
    out.push(
      ...comment(
        [
          "If the account already has this provider (one per URL), import it instead of creating it:",
          `  terraform import aws_iam_openid_connect_provider.this ${plan.provider.arn}`,
        ],
        "",
      ),
      'resource "aws_iam_openid_connect_provider" "this" {',
      ...align(
        ["url", `"${plan.provider.url}"`],
        ["client_id_list", `[${plan.provider.clientIds.map((c) => `"${c}"`).join(", ")}]`],
        ...(plan.provider.thumbprints.length > 0
          ? ([["thumbprint_list", `[${plan.provider.thumbprints.map((t) => `"${t}"`).join(", ")}]`]] as [
              string,
              string,
            ][])
          : []),
        "  ",
      ),
      "}",
      "",
    );
  for (const role of plan.roles) out.push(...roleBlock(role, plan.provider.builtin), "");
  for (const role of plan.roles) {
    out.push(
      `output "${role.id}_role_arn" {`,
      ...align(["description", `"${role.description}"`], ["value", `aws_iam_role.${role.id}.arn`], "  "),
      "}",
      "",
    );
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function roleBlock(role: RoleSpec, builtin: boolean): string[] {
  const lines: string[] = [...comment(roleLines(role), "")];
  lines.push(`resource "aws_iam_role" "${role.id}" {`);
  const attrs: [string, string][] = [];
  if (role.kind === "chained") attrs.push(["provider", `aws.workload_${role.account}`]);
  attrs.push(
    ["name", `"${role.name}"`],
    ["description", `"${role.description}"`],
    ["max_session_duration", String(role.maxSessionDuration)],
  );
  attrs.push(["assume_role_policy", heredoc(role.trustPolicy, "  ")]);
  lines.push(...align(...attrs, "  "));
  const dependsOn =
    role.kind === "chained"
      ? `aws_iam_role.${toolingIdOf(role)}`
      : builtin
        ? undefined
        : "aws_iam_openid_connect_provider.this";
  lines.push(...(dependsOn ? ["", `  depends_on = [${dependsOn}]`] : []), "}");
  if (role.inlinePolicy) {
    lines.push(
      "",
      ...comment(["Only the chaining hop: sts:AssumeRole on the workload roles of the same phase."], ""),
      `resource "aws_iam_role_policy" "${role.id}_chain" {`,
      ...align(
        ["name", `"${role.inlinePolicy.name}"`],
        ["role", `aws_iam_role.${role.id}.id`],
        ["policy", heredoc(role.inlinePolicy.document, "  ")],
        "  ",
      ),
      "}",
    );
  }
  return lines;
}

/** The tooling role a chained role trusts has the id `tooling[_phase]`. */
const toolingIdOf = (role: RoleSpec) => `tooling${role.phase ? `_${role.phase}` : ""}`;

/** A heredoc value: its first line follows the `=`, the rest are lines of their own. */
function heredoc(document: object, indent: string): string {
  return [
    "<<-EOT",
    ...policyJson(document)
      .split("\n")
      .map((l) => `${indent}  ${l}`),
    `${indent}EOT`,
  ].join("\n");
}

/** A run of attributes with `=` aligned, as `terraform fmt` writes them (a heredoc's opening line
 * counts as one of the run). */
function align(...items: [...[string, string][], string]): string[] {
  const indent = items.pop() as string;
  const pairs = items as [string, string][];
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)} = ${v}`);
}

function comment(lines: readonly string[], indent: string): string[] {
  return lines.map((l) => (l === "" ? `${indent}#` : `${indent}# ${l}`));
}

const plural = (plan: InitPlan) =>
  plan.roles.filter((r) => r.kind === "web-identity").length > 1 ? "s" : "";
