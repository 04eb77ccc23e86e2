import type { Command } from "commander";
import { PROFILES } from "../../issuer/model.js";
import { inputError } from "../../lib/errors.js";
import { seg } from "../admin/client.js";
import { registerCrud } from "../admin/crud.js";
import { type AdminFlags, collect, details, wholeNumber } from "../admin/options.js";

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
  registerCrud<OrgFlags>(program, {
    name: "org",
    description: "organizations on a keyless server (admin API): create, list, show, update, delete",
    examples:
      "\nExamples:\n  keyless org create acme --profile github\n  keyless org list --json\n  keyless org update acme --add-audience sts.amazonaws.com\n  keyless org delete acme --yes\n",
    noun: "organization",
    ref: "<org>",
    scope: addNothing,
    path: () => "/api/v1/organizations",
    show,
    create: {
      description: "create an organization (admin key)",
      options: settingOptions,
      body: (name, flags) => ({ name, ...settings(flags) }),
    },
    list: {
      description: "the organizations this key may see",
      key: "organizations",
      columns: ["name", "id", "profile", "audiences", "created"],
      row: (o: Org) => [o.name, o.id, o.profile, o.effectiveAudiences, o.createdAt],
    },
    showCommand: { description: "one organization, by name or id" },
    update: {
      description: "change an organization's name or settings",
      options: (c) =>
        settingOptions(c)
          .option("--name <name>", "rename it")
          .option("--add-audience <aud>", "allow one more audience (repeatable)", collect)
          .option("--remove-audience <aud>", "stop allowing an audience (repeatable)", collect),
      body: async (ref, flags, client) => {
        const c = client();
        const body = settings(flags);
        if (flags.name !== undefined) body.name = flags.name;
        if (flags.addAudience?.length || flags.removeAudience?.length) {
          // The list starts from what runs may ask for today (the profile's audiences when none is set).
          const current = await c.call("GET", `/api/v1/organizations/${seg(ref)}`);
          const base: string[] =
            (body.allowedAudiences as string[] | undefined) ?? current.effectiveAudiences;
          const next = [...new Set([...base, ...(flags.addAudience ?? [])])].filter(
            (a) => !flags.removeAudience?.includes(a),
          );
          if (next.length === 0) throw inputError("an organization needs at least one audience");
          body.allowedAudiences = next;
        }
        if (Object.keys(body).length === 0) throw inputError("nothing to change: give at least one option");
        return body;
      },
    },
    delete: { description: "delete an organization with its projects, environments, runs and API keys" },
  });
}

/** Organizations sit at the top: no scope options. */
const addNothing = (c: Command) => c;
