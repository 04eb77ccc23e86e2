import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import { seg } from "../admin/client.js";
import { registerCrud } from "../admin/crud.js";
import { type AdminFlags, details } from "../admin/options.js";

interface EnvFlags extends AdminFlags {
  org: string;
  project: string;
  name?: string;
  yes?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the admin API's environment JSON.
const show = (e: any) =>
  details([
    ["id", e.id],
    ["name", e.name],
    ["project", e.projectId],
    ["organization", e.organizationId],
    ["created", e.createdAt],
  ]);

export function register(program: Command): void {
  registerCrud<EnvFlags>(program, {
    name: "env",
    description: "environments of a project (admin API): create, list, show, update, delete",
    examples:
      "\nExamples:\n  keyless env create prod --org acme --project infra\n  keyless env list --org acme --project infra --json\n",
    noun: "environment",
    ref: "<environment>",
    scope: (c) =>
      c
        .requiredOption("--org <org>", "the organization (name or id)")
        .requiredOption("--project <project>", "the project (name or id)"),
    path: (f) => `/api/v1/organizations/${seg(f.org)}/projects/${seg(f.project)}/environments`,
    show,
    create: { description: "create an environment", body: (name) => ({ name }) },
    list: {
      description: "the project's environments",
      key: "environments",
      columns: ["name", "id", "created"],
      // biome-ignore lint/suspicious/noExplicitAny: the admin API's environment JSON.
      row: (e: any) => [e.name, e.id, e.createdAt],
    },
    showCommand: { description: "one environment, by name or id" },
    update: {
      description: "rename an environment",
      options: (c) => c.option("--name <name>", "new name"),
      body: async (_ref, flags) => {
        if (flags.name === undefined) throw inputError("nothing to change: give --name");
        return { name: flags.name };
      },
    },
    delete: { description: "delete an environment and its runs" },
  });
}
