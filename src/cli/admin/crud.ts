import type { Command } from "commander";
import type { AdminClient } from "./client.js";
import { seg } from "./client.js";
import { type AdminFlags, addAdminOptions, clientFor, confirmed, output, table } from "./options.js";

// biome-ignore lint/suspicious/noExplicitAny: a resource as the admin API's JSON returns it.
type Resource = any;

/** One command's text and the options it adds before the scope and admin options. */
interface Verb {
  description: string;
  options?: (command: Command) => Command;
}

/**
 * An admin resource's five commands (create, list, show, update, delete), as organizations, projects
 * and environments share them: each command's own options first, then the scope options (`--org`,
 * `--project`), then `--server`/`--ca`/`--json`.
 */
export interface CrudSpec<F extends AdminFlags> {
  /** The command's name (`org`, `project`, `env`) with its description and help examples. */
  name: string;
  description: string;
  examples: string;
  /** What the confirmation and the deletion message call one resource, e.g. `organization`. */
  noun: string;
  /** The argument that names one resource, e.g. `<org>`. */
  ref: string;
  /** Adds the options that place the collection (required `--org`, `--project`); none for organizations. */
  scope: (command: Command) => Command;
  /** The collection's API path for the flags, e.g. `/api/v1/organizations/acme/projects`. */
  path: (flags: F) => string;
  /** The list answer's array property and the table's columns and row for one resource. */
  list: Verb & { key: string; columns: readonly string[]; row: (r: Resource) => readonly unknown[] };
  /** `KEY: value` lines for one resource. */
  show: (r: Resource) => string;
  create: Verb & { body: (name: string, flags: F) => Record<string, unknown> };
  showCommand: Verb;
  /** The PATCH body; throws an input error when nothing changes. `client` is created once, on first call. */
  update: Verb & {
    body: (ref: string, flags: F, client: () => AdminClient) => Promise<Record<string, unknown>>;
  };
  /** `delete` takes `--yes` (and refuses without it). */
  delete: { description: string };
}

/**
 * Registers `name create|list|show|update|delete` on `program`. Output: the API's JSON with `--json`,
 * else `spec.show`'s lines (create, show, update), a table (list) or `<noun> <ref> deleted`. Errors are
 * the admin client's (exit 1 refused, 2 bad input or unknown name, 3 unreachable); `delete` without
 * `--yes` is an input error.
 */
export function registerCrud<F extends AdminFlags & { yes?: boolean }>(
  program: Command,
  spec: CrudSpec<F>,
): void {
  const group = program.command(spec.name).description(spec.description).addHelpText("after", spec.examples);
  const define = (usage: string, verb: Verb) => {
    const command = group.command(usage).description(verb.description);
    return addAdminOptions(spec.scope(verb.options ? verb.options(command) : command));
  };
  const item = (flags: F, ref: string) => `${spec.path(flags)}/${seg(ref)}`;

  define("create <name>", spec.create).action(async (name: string, flags: F) => {
    const r = await clientFor(flags).call("POST", spec.path(flags), spec.create.body(name, flags));
    output(flags, r, () => spec.show(r));
  });

  define("list", spec.list).action(async (flags: F) => {
    const r = await clientFor(flags).call("GET", spec.path(flags));
    const items: Resource[] = r[spec.list.key];
    output(flags, items, () => table(spec.list.columns, items.map(spec.list.row)));
  });

  define(`show ${spec.ref}`, spec.showCommand).action(async (ref: string, flags: F) => {
    const r = await clientFor(flags).call("GET", item(flags, ref));
    output(flags, r, () => spec.show(r));
  });

  define(`update ${spec.ref}`, spec.update).action(async (ref: string, flags: F) => {
    let client: AdminClient | undefined;
    const lazy = () => {
      client ??= clientFor(flags);
      return client;
    };
    const body = await spec.update.body(ref, flags, lazy);
    const r = await lazy().call("PATCH", item(flags, ref), body);
    output(flags, r, () => spec.show(r));
  });

  const yes = (c: Command) => c.option("--yes", "confirm");
  define(`delete ${spec.ref}`, { ...spec.delete, options: yes }).action(async (ref: string, flags: F) => {
    confirmed(flags, `${spec.noun} ${ref}`);
    await clientFor(flags).call("DELETE", item(flags, ref));
    output(flags, { deleted: ref }, () => `${spec.noun} ${ref} deleted\n`);
  });
}
