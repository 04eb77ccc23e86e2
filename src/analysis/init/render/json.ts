import type { InitPlan } from "../plan.js";
import { headerLines, roleLines } from "./notes.js";

/** The json form: the plan as data for other tools, with no comment fields in it. */
export function renderJson(plan: InitPlan): string {
  return `${JSON.stringify(
    {
      platform: plan.platform,
      provider: {
        url: plan.provider.url,
        arn: plan.provider.arn,
        builtin: plan.provider.builtin,
        account: plan.provider.account,
        clientIds: plan.provider.clientIds,
        thumbprints: plan.provider.thumbprints,
      },
      roles: plan.roles.map((r) => ({
        name: r.name,
        arn: r.arn,
        account: r.account,
        kind: r.kind,
        ...(r.phase ? { phase: r.phase } : {}),
        description: r.description,
        maxSessionDuration: r.maxSessionDuration,
        trustPolicy: r.trustPolicy,
        ...(r.inlinePolicy ? { inlinePolicy: r.inlinePolicy } : {}),
      })),
    },
    null,
    2,
  )}\n`;
}

/** What the json form does not carry: the README-like note, for stderr. */
export function jsonNote(plan: InitPlan, command: string): string {
  return `${[...headerLines(plan, command), "", ...plan.roles.flatMap((r) => ["", ...roleLines(r)])].join("\n")}\n`;
}
