import { Document, isMap, isScalar, Scalar, visit, type YAMLMap } from "yaml";
import { parseOidcProviderArn } from "../../../core/aws/arn.js";
import type { InitPlan, RoleSpec } from "../plan.js";
import { headerLines, roleLines } from "./notes.js";

/** The provider URL part of a provider ARN (any partition), or the value as it is. */
const providerUrl = (federated: string): string => parseOidcProviderArn(federated)?.url ?? federated;

/**
 * The CloudFormation form: a template per account (a stack lives in one account), the tooling
 * account's first. YAML carries the explanations as comments; JSON, which has none, carries them in
 * each resource's Metadata (`Why`) next to the Description properties both forms have.
 */

export interface CloudFormationTemplate {
  readonly account: string;
  /** `tooling-<account>` or `workload-<account>`: the file name without extension. */
  readonly name: string;
  readonly template: Record<string, unknown>;
  /** Comments for the YAML form: the template's header and one block per resource. */
  readonly header: readonly string[];
  readonly resourceComments: ReadonlyMap<string, readonly string[]>;
}

export function cloudFormationTemplates(plan: InitPlan, command: string): CloudFormationTemplate[] {
  const accounts = [
    plan.provider.account,
    ...new Set(plan.roles.filter((r) => r.kind === "chained").map((r) => r.account)),
  ];
  return accounts.map((account) => {
    const tooling = account === plan.provider.account;
    const resources: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = {};
    const comments = new Map<string, readonly string[]>();
    // A built-in provider (Google, Cognito) has no IAM resource: the trust names the bare host.
    if (tooling && !plan.provider.builtin) {
      resources.Provider = {
        Type: "AWS::IAM::OIDCProvider",
        Properties: {
          Url: plan.provider.url,
          ClientIdList: [...plan.provider.clientIds],
          ...(plan.provider.thumbprints.length > 0 ? { ThumbprintList: [...plan.provider.thumbprints] } : {}),
        },
      };
      comments.set("Provider", [
        `The identity provider for ${plan.provider.url} (one per URL and account: if it exists, import it).`,
        "No ThumbprintList: AWS verifies publicly trusted certificates itself.",
      ]);
    }
    for (const role of plan.roles.filter((r) => r.account === account)) {
      const logical = logicalId(role);
      resources[logical] = roleResource(role, tooling && !plan.provider.builtin);
      comments.set(logical, roleLines(role));
      outputs[`${logical}Arn`] = {
        Description: role.description,
        Value: { "Fn::GetAtt": [logical, "Arn"] },
      };
    }
    const header = tooling
      ? headerLines(plan, command)
      : [
          `Written by: ${command}`,
          `Workload account ${account}: deploy this stack there, after the tooling stack (its principal must exist).`,
        ];
    return {
      account,
      name: `${tooling ? "tooling" : "workload"}-${account}`,
      template: {
        AWSTemplateFormatVersion: "2010-09-09",
        Description: tooling
          ? `${plan.title}${plan.provider.builtin ? "" : " OIDC provider and"} pipeline role(s) (keyless init aws)`
          : `Pipeline role(s) reached from the tooling account ${plan.provider.account} (keyless init aws)`,
        Resources: resources,
        Outputs: outputs,
      },
      header,
      resourceComments: comments,
    };
  });
}

/** `withProvider`: the role is in the stack that creates the IAM OIDC provider it trusts. */
function roleResource(role: RoleSpec, withProvider: boolean): Record<string, unknown> {
  const trust =
    role.kind === "web-identity" && withProvider
      ? {
          ...role.trustPolicy,
          Statement: role.trustPolicy.Statement.map((s) => ({
            ...s,
            // The provider of this stack, in whatever partition and account the stack is deployed.
            Principal: {
              Federated: {
                "Fn::Sub": `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:oidc-provider/${providerUrl(
                  String((s.Principal as { Federated: string }).Federated),
                )}`,
              },
            },
          })),
        }
      : role.trustPolicy;
  return {
    Type: "AWS::IAM::Role",
    ...(withProvider && role.kind === "web-identity" ? { DependsOn: "Provider" } : {}),
    Properties: {
      RoleName: role.name,
      Description: role.description,
      MaxSessionDuration: role.maxSessionDuration,
      AssumeRolePolicyDocument: trust,
      ...(role.inlinePolicy
        ? { Policies: [{ PolicyName: role.inlinePolicy.name, PolicyDocument: role.inlinePolicy.document }] }
        : {}),
    },
  };
}

const logicalId = (role: RoleSpec) =>
  role.id
    .split("_")
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("")
    .concat("Role");

export function renderCloudFormationYaml(t: CloudFormationTemplate): string {
  const doc = new Document(t.template);
  doc.commentBefore = t.header.map((l) => (l === "" ? "" : ` ${l}`)).join("\n");
  const resources = doc.get("Resources", true);
  if (isMap(resources)) {
    for (const pair of (resources as YAMLMap).items) {
      const key = pair.key;
      if (isScalar(key)) {
        const lines = t.resourceComments.get(String(key.value)) ?? [];
        key.commentBefore = lines.map((l) => ` ${l}`).join("\n");
      }
    }
  }
  // CloudFormation reads YAML 1.1, where 2012-10-17 is a date and 0123 a number: quote strings that
  // any YAML version could read as something else.
  visit(doc, {
    Scalar(_key, node) {
      if (
        typeof node.value === "string" &&
        /^[\d.+-]|^(y|yes|n|no|on|off|true|false|null|~)$/i.test(node.value)
      )
        node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export function renderCloudFormationJson(t: CloudFormationTemplate): string {
  const resources = Object.fromEntries(
    Object.entries(t.template.Resources as Record<string, Record<string, unknown>>).map(([id, r]) => [
      id,
      { ...r, Metadata: { Why: t.resourceComments.get(id) ?? [] } },
    ]),
  );
  return `${JSON.stringify({ ...t.template, Metadata: { Notes: t.header.filter((l) => l !== "") }, Resources: resources }, null, 2)}\n`;
}
