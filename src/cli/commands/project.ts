import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import { seg } from "../admin/client.js";
import { registerCrud } from "../admin/crud.js";
import { type AdminFlags, details } from "../admin/options.js";

interface ProjectFlags extends AdminFlags {
  org: string;
  name?: string;
  subTemplate?: string;
  yes?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the admin API's project JSON.
const show = (p: any) =>
  details([
    ["id", p.id],
    ["name", p.name],
    ["organization", p.organizationId],
    ["subject template", p.subTemplate ?? "(the organization's)"],
    ["created", p.createdAt],
  ]);

export function register(program: Command): void {
  registerCrud<ProjectFlags>(program, {
    name: "project",
    description: "projects of an organization (admin API): create, list, show, update, delete",
    examples:
      "\nExamples:\n  keyless project create infra --org acme\n  keyless project list --org acme\n  keyless project delete infra --org acme --yes\n",
    noun: "project",
    ref: "<project>",
    scope: (c) => c.requiredOption("--org <org>", "the organization (name or id)"),
    path: (flags) => `/api/v1/organizations/${seg(flags.org)}/projects`,
    show,
    create: {
      description: "create a project",
      options: (c) =>
        c.option("--sub-template <template>", "the sub claim's template for this project's runs"),
      body: (name, flags) => ({
        name,
        ...(flags.subTemplate !== undefined ? { subTemplate: flags.subTemplate } : {}),
      }),
    },
    list: {
      description: "the organization's projects",
      key: "projects",
      columns: ["name", "id", "sub template", "created"],
      // biome-ignore lint/suspicious/noExplicitAny: the admin API's project JSON.
      row: (p: any) => [p.name, p.id, p.subTemplate, p.createdAt],
    },
    showCommand: { description: "one project, by name or id" },
    update: {
      description: "rename a project or change its subject template",
      options: (c) =>
        c
          .option("--name <name>", "rename it")
          .option("--sub-template <template>", "the sub claim's template ('' to use the organization's)"),
      body: async (_ref, flags) => {
        const body: Record<string, unknown> = {};
        if (flags.name !== undefined) body.name = flags.name;
        if (flags.subTemplate !== undefined)
          body.subTemplate = flags.subTemplate === "" ? null : flags.subTemplate;
        if (Object.keys(body).length === 0)
          throw inputError("nothing to change: give --name or --sub-template");
        return body;
      },
    },
    delete: { description: "delete a project with its environments and runs" },
  });
}
