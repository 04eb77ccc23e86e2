import type { Command } from "commander";
import { PROFILES } from "../../issuer/model.js";
import { inputError } from "../../lib/errors.js";
import { seg } from "../admin/client.js";
import {
  type AdminFlags,
  addAdminOptions,
  clientFor,
  collect,
  confirmed,
  details,
  output,
  table,
  wholeNumber,
} from "../admin/options.js";

interface OrgFlags extends AdminFlags {
  profile?: string;
  name?: string;
  audience?: string[];
  addAudience?: string[];
  removeAudience?: string[];
  defaultAudience?: string;
  issuerUrl?: string;
  subTemplate?: string;
  defaultLifetime?: string;
  maxLifetime?: string;
  runTimeout?: string;
  option?: string[];
  yes?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the admin API's organization JSON.
type Org = any;

const show = (o: Org) =>
  details([
    ["id", o.id],
    ["name", o.name],
    ["profile", o.profile],
    ["issuer URL", o.issuerUrl ?? "(the profile's)"],
    ["audiences", o.effectiveAudiences ?? o.allowedAudiences],
    ["default audience", o.defaultAudience ?? "(the first audience)"],
    ["subject template", o.subTemplate ?? "(the profile's)"],
    ["token lifetime", `${o.defaultLifetimeSeconds}s (max ${o.maxLifetimeSeconds}s)`],
    ["run timeout", `${o.runTimeoutSeconds}s`],
    ["created", o.createdAt],
  ]);

/** The settings the flags change, as the API's body fields. */
function settings(flags: OrgFlags): Record<string, unknown> {
  if (flags.profile !== undefined && !(PROFILES as readonly string[]).includes(flags.profile)) {
    throw inputError(`--profile ${flags.profile}: one of ${PROFILES.join(", ")}`);
  }
  const options = flags.option?.length
    ? Object.fromEntries(
        flags.option.map((kv) => {
          const i = kv.indexOf("=");
          if (i <= 0) throw inputError(`--option ${kv}: give KEY=VALUE`);
          return [kv.slice(0, i), kv.slice(i + 1)];
        }),
      )
    : undefined;
  const body: Record<string, unknown> = {
    profile: flags.profile,
    issuerUrl: flags.issuerUrl,
    subTemplate: flags.subTemplate,
    defaultAudience: flags.defaultAudience,
    defaultLifetimeSeconds: wholeNumber("--default-lifetime", flags.defaultLifetime),
    maxLifetimeSeconds: wholeNumber("--max-lifetime", flags.maxLifetime),
    runTimeoutSeconds: wholeNumber("--run-timeout", flags.runTimeout),
    profileOptions: options,
    allowedAudiences: flags.audience?.length ? flags.audience : undefined,
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

const settingOptions = (c: Command) =>
  c
    .option("--profile <name>", `compatibility profile: ${PROFILES.join(", ")}`)
    .option("--audience <aud>", "an allowed audience (repeatable; replaces the list)", collect)
    .option("--default-audience <aud>", "the audience of tokens that ask for none")
    .option("--issuer-url <url>", "the iss of this organization's tokens (default: the profile's form)")
    .option(
      "--sub-template <template>",
      "the sub claim's template, e.g. org:{organization}:env:{environment}",
    )
    .option("--default-lifetime <seconds>", "token lifetime when the job asks for none")
    .option("--max-lifetime <seconds>", "the longest token lifetime a job may ask for")
    .option("--run-timeout <seconds>", "how long a run's request token lives unless it is finished")
    .option("--option <key=value>", "a profile option, e.g. enterpriseSlug=acme (repeatable)", collect);

export function register(program: Command): void {
  const org = program
    .command("org")
    .description("organizations on a keyless server (admin API): create, list, show, update, delete")
    .addHelpText(
      "after",
      "\nExamples:\n  keyless org create acme --profile github\n  keyless org list --json\n  keyless org update acme --add-audience sts.amazonaws.com\n  keyless org delete acme --yes\n",
    );

  addAdminOptions(
    settingOptions(org.command("create <name>").description("create an organization (admin key)")),
  ).action(async (name: string, flags: OrgFlags) => {
    const o = await clientFor(flags).call("POST", "/api/v1/organizations", { name, ...settings(flags) });
    output(flags, o, () => show(o));
  });

  addAdminOptions(org.command("list").description("the organizations this key may see")).action(
    async (flags: AdminFlags) => {
      const r = await clientFor(flags).call("GET", "/api/v1/organizations");
      output(flags, r.organizations, () =>
        table(
          ["name", "id", "profile", "audiences", "created"],
          r.organizations.map((o: Org) => [o.name, o.id, o.profile, o.effectiveAudiences, o.createdAt]),
        ),
      );
    },
  );

  addAdminOptions(org.command("show <org>").description("one organization, by name or id")).action(
    async (ref: string, flags: AdminFlags) => {
      const o = await clientFor(flags).call("GET", `/api/v1/organizations/${seg(ref)}`);
      output(flags, o, () => show(o));
    },
  );

  addAdminOptions(
    settingOptions(org.command("update <org>").description("change an organization's name or settings"))
      .option("--name <name>", "rename it")
      .option("--add-audience <aud>", "allow one more audience (repeatable)", collect)
      .option("--remove-audience <aud>", "stop allowing an audience (repeatable)", collect),
  ).action(async (ref: string, flags: OrgFlags) => {
    const client = clientFor(flags);
    const body = settings(flags);
    if (flags.name !== undefined) body.name = flags.name;
    if (flags.addAudience?.length || flags.removeAudience?.length) {
      // The list starts from what runs may ask for today (the profile's audiences when none is set).
      const current = await client.call("GET", `/api/v1/organizations/${seg(ref)}`);
      const base: string[] = (body.allowedAudiences as string[] | undefined) ?? current.effectiveAudiences;
      const next = [...new Set([...base, ...(flags.addAudience ?? [])])].filter(
        (a) => !flags.removeAudience?.includes(a),
      );
      if (next.length === 0) throw inputError("an organization needs at least one audience");
      body.allowedAudiences = next;
    }
    if (Object.keys(body).length === 0) throw inputError("nothing to change: give at least one option");
    const o = await client.call("PATCH", `/api/v1/organizations/${seg(ref)}`, body);
    output(flags, o, () => show(o));
  });

  addAdminOptions(
    org
      .command("delete <org>")
      .description("delete an organization with its projects, environments, runs and API keys")
      .option("--yes", "confirm"),
  ).action(async (ref: string, flags: OrgFlags) => {
    confirmed(flags, `organization ${ref}`);
    await clientFor(flags).call("DELETE", `/api/v1/organizations/${seg(ref)}`);
    output(flags, { deleted: ref }, () => `organization ${ref} deleted\n`);
  });
}
