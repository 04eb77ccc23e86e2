import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import { seg } from "../admin/client.js";
import { type AdminFlags, addAdminOptions, clientFor, output, table } from "../admin/options.js";

interface KeyFlags extends AdminFlags {
  org?: string;
  scope?: string;
  project?: string;
}

const base = (org: string | undefined) =>
  org === undefined ? "/api/v1/api-keys" : `/api/v1/organizations/${seg(org)}/api-keys`;

// biome-ignore lint/suspicious/noExplicitAny: the admin API's API key JSON.
const scopeText = (s: any) =>
  s.kind === "admin" ? "admin" : s.kind === "org_admin" ? "org_admin" : `runner (project ${s.projectId})`;

export function register(program: Command): void {
  const keys = program
    .command("api-key")
    .description("API keys of the admin API: create (the secret is printed once), list, revoke")
    .addHelpText(
      "after",
      "\nScopes: admin (no --org), org_admin (everything in one organization), runner (runs of one project).\n\nExamples:\n  keyless api-key create ci --org acme --scope runner --project infra\n  keyless api-key list --org acme\n  keyless api-key revoke ci --org acme\n",
    );

  addAdminOptions(
    keys
      .command("create <name>")
      .description("create a key; prints its secret once (stdout: the secret alone unless --json)")
      .option("--org <org>", "the organization (name or id); without it, an admin key")
      .option("--scope <scope>", "admin, org_admin or runner (default: org_admin with --org, else admin)")
      .option("--project <project>", "the runner key's project (name or id)"),
  ).action(async (name: string, flags: KeyFlags) => {
    const scope = flags.scope ?? (flags.org === undefined ? "admin" : "org_admin");
    if (!["admin", "org_admin", "runner"].includes(scope)) {
      throw inputError(`--scope ${scope}: one of admin, org_admin, runner`);
    }
    if (scope === "admin" && flags.org !== undefined)
      throw inputError("an admin key belongs to no organization: drop --org");
    if (scope !== "admin" && flags.org === undefined) throw inputError(`a ${scope} key needs --org`);
    if (scope === "runner" && flags.project === undefined) throw inputError("a runner key needs --project");
    if (scope !== "runner" && flags.project !== undefined) throw inputError("--project is for runner keys");
    const body =
      scope === "admin"
        ? { name }
        : {
            name,
            scope: scope === "runner" ? { kind: "runner", projectId: flags.project } : { kind: "org_admin" },
          };
    const r = await clientFor(flags).call("POST", base(flags.org), body);
    // The secret alone on stdout, so `KEY=$(keyless api-key create …)` works; the rest on stderr.
    output(flags, r, () => {
      process.stderr.write(
        `API key ${r.apiKey.name} (${r.apiKey.id}), scope ${scopeText(r.apiKey.scope)}; the secret is shown once:\n`,
      );
      return `${r.secret}\n`;
    });
  });

  addAdminOptions(
    keys
      .command("list")
      .description("an organization's keys (--org), or the admin keys")
      .option("--org <org>", "the organization (name or id)"),
  ).action(async (flags: KeyFlags) => {
    const r = await clientFor(flags).call("GET", base(flags.org));
    output(flags, r.apiKeys, () =>
      table(
        ["name", "id", "scope", "created", "revoked"],
        // biome-ignore lint/suspicious/noExplicitAny: the admin API's API key JSON.
        r.apiKeys.map((k: any) => [k.name, k.id, scopeText(k.scope), k.createdAt, k.revokedAt]),
      ),
    );
  });

  addAdminOptions(
    keys
      .command("revoke <key>")
      .description("revoke a key by id, or by name when one live key has it; it stops working at once")
      .option("--org <org>", "the organization (name or id); without it, an admin key"),
  ).action(async (ref: string, flags: KeyFlags) => {
    await clientFor(flags).call("DELETE", `${base(flags.org)}/${seg(ref)}`);
    output(flags, { revoked: ref }, () => `API key ${ref} revoked\n`);
  });
}
