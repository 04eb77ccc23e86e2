import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import { seg } from "../admin/client.js";
import {
  type AdminFlags,
  addAdminOptions,
  clientFor,
  confirmed,
  details,
  output,
  table,
} from "../admin/options.js";

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

const base = (org: string) => `/api/v1/organizations/${seg(org)}/projects`;

export function register(program: Command): void {
  const project = program
    .command("project")
    .description("projects of an organization (admin API): create, list, show, update, delete")
    .addHelpText(
      "after",
      "\nExamples:\n  keyless project create infra --org acme\n  keyless project list --org acme\n  keyless project delete infra --org acme --yes\n",
    );
  const withOrg = (c: Command) =>
    addAdminOptions(c.requiredOption("--org <org>", "the organization (name or id)"));

  withOrg(
    project
      .command("create <name>")
      .description("create a project")
      .option("--sub-template <template>", "the sub claim's template for this project's runs"),
  ).action(async (name: string, flags: ProjectFlags) => {
    const p = await clientFor(flags).call("POST", base(flags.org), {
      name,
      ...(flags.subTemplate !== undefined ? { subTemplate: flags.subTemplate } : {}),
    });
    output(flags, p, () => show(p));
  });

  withOrg(project.command("list").description("the organization's projects")).action(
    async (flags: ProjectFlags) => {
      const r = await clientFor(flags).call("GET", base(flags.org));
      output(flags, r.projects, () =>
        table(
          ["name", "id", "sub template", "created"],
          // biome-ignore lint/suspicious/noExplicitAny: the admin API's project JSON.
          r.projects.map((p: any) => [p.name, p.id, p.subTemplate, p.createdAt]),
        ),
      );
    },
  );

  withOrg(project.command("show <project>").description("one project, by name or id")).action(
    async (ref: string, flags: ProjectFlags) => {
      const p = await clientFor(flags).call("GET", `${base(flags.org)}/${seg(ref)}`);
      output(flags, p, () => show(p));
    },
  );

  withOrg(
    project
      .command("update <project>")
      .description("rename a project or change its subject template")
      .option("--name <name>", "rename it")
      .option("--sub-template <template>", "the sub claim's template ('' to use the organization's)"),
  ).action(async (ref: string, flags: ProjectFlags) => {
    const body: Record<string, unknown> = {};
    if (flags.name !== undefined) body.name = flags.name;
    if (flags.subTemplate !== undefined)
      body.subTemplate = flags.subTemplate === "" ? null : flags.subTemplate;
    if (Object.keys(body).length === 0) throw inputError("nothing to change: give --name or --sub-template");
    const p = await clientFor(flags).call("PATCH", `${base(flags.org)}/${seg(ref)}`, body);
    output(flags, p, () => show(p));
  });

  withOrg(
    project
      .command("delete <project>")
      .description("delete a project with its environments and runs")
      .option("--yes", "confirm"),
  ).action(async (ref: string, flags: ProjectFlags) => {
    confirmed(flags, `project ${ref}`);
    await clientFor(flags).call("DELETE", `${base(flags.org)}/${seg(ref)}`);
    output(flags, { deleted: ref }, () => `project ${ref} deleted\n`);
  });
}
