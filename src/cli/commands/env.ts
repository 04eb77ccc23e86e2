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

const base = (f: EnvFlags) => `/api/v1/organizations/${seg(f.org)}/projects/${seg(f.project)}/environments`;

export function register(program: Command): void {
  const env = program
    .command("env")
    .description("environments of a project (admin API): create, list, show, update, delete")
    .addHelpText(
      "after",
      "\nExamples:\n  keyless env create prod --org acme --project infra\n  keyless env list --org acme --project infra --json\n",
    );
  const scoped = (c: Command) =>
    addAdminOptions(
      c
        .requiredOption("--org <org>", "the organization (name or id)")
        .requiredOption("--project <project>", "the project (name or id)"),
    );

  scoped(env.command("create <name>").description("create an environment")).action(
    async (name: string, flags: EnvFlags) => {
      const e = await clientFor(flags).call("POST", base(flags), { name });
      output(flags, e, () => show(e));
    },
  );

  scoped(env.command("list").description("the project's environments")).action(async (flags: EnvFlags) => {
    const r = await clientFor(flags).call("GET", base(flags));
    output(flags, r.environments, () =>
      table(
        ["name", "id", "created"],
        // biome-ignore lint/suspicious/noExplicitAny: the admin API's environment JSON.
        r.environments.map((e: any) => [e.name, e.id, e.createdAt]),
      ),
    );
  });

  scoped(env.command("show <environment>").description("one environment, by name or id")).action(
    async (ref: string, flags: EnvFlags) => {
      const e = await clientFor(flags).call("GET", `${base(flags)}/${seg(ref)}`);
      output(flags, e, () => show(e));
    },
  );

  scoped(
    env
      .command("update <environment>")
      .description("rename an environment")
      .option("--name <name>", "new name"),
  ).action(async (ref: string, flags: EnvFlags) => {
    if (flags.name === undefined) throw inputError("nothing to change: give --name");
    const e = await clientFor(flags).call("PATCH", `${base(flags)}/${seg(ref)}`, { name: flags.name });
    output(flags, e, () => show(e));
  });

  scoped(
    env
      .command("delete <environment>")
      .description("delete an environment and its runs")
      .option("--yes", "confirm"),
  ).action(async (ref: string, flags: EnvFlags) => {
    confirmed(flags, `environment ${ref}`);
    await clientFor(flags).call("DELETE", `${base(flags)}/${seg(ref)}`);
    output(flags, { deleted: ref }, () => `environment ${ref} deleted\n`);
  });
}
