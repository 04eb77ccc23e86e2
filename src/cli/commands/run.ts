import type { Command } from "commander";
import { inputError } from "../../lib/errors.js";
import { platformById } from "../../platforms/index.js";
import { seg } from "../admin/client.js";
import {
  type AdminFlags,
  addAdminOptions,
  clientFor,
  collect,
  details,
  output,
  table,
  wholeNumber,
} from "../admin/options.js";
import { checkOutputPath, writeSecretOutput } from "../output-file.js";

/** The variable naming the run, for `keyless run finish` in a later step of the same job. */
export const RUN_ID_VARIABLE = "KEYLESS_RUN_ID";

interface RunFlags extends AdminFlags {
  org: string;
  project?: string;
  environment?: string;
  phase?: string;
  deployer?: string;
  ref?: string;
  commit?: string;
  attr?: string[];
  timeout?: string;
  roleArn?: string;
  format?: string;
  out?: string;
  status?: string;
  limit?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the admin API's run JSON.
type Run = any;

const runs = (org: string) => `/api/v1/organizations/${seg(org)}/runs`;

/** CI systems' words for how a job ended (Jenkins' SUCCESS/FAILURE/UNSTABLE/ABORTED, GitLab's, …) → the API's. */
const STATUS: Readonly<Record<string, string>> = {
  succeeded: "succeeded",
  success: "succeeded",
  failed: "failed",
  failure: "failed",
  unstable: "failed",
  cancelled: "cancelled",
  canceled: "cancelled",
  aborted: "cancelled",
};

/** The job's variables for a created run: the token source's pair, the run id, the role when given. */
export function jobVariables(created: Run, roleArn: string | undefined): Record<string, string> {
  const keyless = platformById("keyless");
  const request = keyless.tokenSource!.request!;
  const roleVariable = keyless.runner!.roleVariables![0]!;
  return {
    [request.urlVariable]: created.requestUrl,
    [request.tokenVariable]: created.requestToken,
    [RUN_ID_VARIABLE]: created.run.id,
    ...(roleArn !== undefined ? { [roleVariable]: roleArn } : {}),
  };
}

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** The variables as `export K='v'` lines (for eval), `K=v` lines (dotenv, systemd's EnvironmentFile) or JSON. */
export function renderVariables(vars: Record<string, string>, format: string, runId: string): string {
  if (format === "json") return `${JSON.stringify({ ...vars, runId }, null, 2)}\n`;
  const entries = Object.entries(vars);
  if (format === "dotenv") {
    for (const [k, v] of entries) {
      if (/[\r\n]/.test(v))
        throw inputError(`${k} holds a line break: dotenv cannot carry it; use --format json`);
    }
    return entries.map(([k, v]) => `${k}=${v}\n`).join("");
  }
  return entries.map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join("");
}

function attributes(flags: RunFlags): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const kv of flags.attr ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) throw inputError(`--attr ${kv}: give KEY=VALUE`);
    attrs[kv.slice(0, i)] = kv.slice(i + 1);
  }
  if (flags.ref !== undefined) attrs.ref = flags.ref;
  if (flags.commit !== undefined) attrs.commit = flags.commit;
  return attrs;
}

const showRun = (r: Run, tokens: Run[] | undefined) =>
  details([
    ["id", r.id],
    ["status", r.status],
    ["phase", r.phase],
    ["deployer", r.deployer],
    ["project", r.projectId],
    ["environment", r.environmentId],
    ["attributes", Object.entries(r.attributes ?? {}).map(([k, v]) => `${k}=${v}`)],
    ["created", r.createdAt],
    ["expires", r.expiresAt],
    ["completed", r.completedAt],
  ]) +
  (tokens === undefined
    ? ""
    : `\ntokens minted (${tokens.length}):\n${table(
        ["time", "jti", "audience", "expires", "kid"],
        tokens.map((t) => [t.at, t.jti, t.audience, new Date(Number(t.exp) * 1000).toISOString(), t.kid]),
      )}`);

export function register(program: Command): void {
  const run = program
    .command("run")
    .description("runs on a keyless server (admin API): start one for a CI job, list, show, finish")
    .addHelpText(
      "after",
      `\nExamples:\n  eval "$(keyless run start --org acme --project infra --environment prod --phase apply)"\n  keyless run start --org acme --project infra --environment prod --format dotenv --out job.env\n  keyless run list --org acme --project infra --status running\n  keyless run finish "$${RUN_ID_VARIABLE}" --org acme --status failed\n`,
    );
  const withOrg = (c: Command) =>
    addAdminOptions(c.requiredOption("--org <org>", "the organization (name or id)"));

  withOrg(
    run
      .command("start")
      .description(
        "create a run and print the job's environment: the token source's URL and token, the run id",
      )
      .requiredOption("--project <project>", "the project (name or id)")
      .requiredOption("--environment <env>", "the environment (name or id)")
      .option("--phase <phase>", "plan, apply, destroy or a custom lower-case name", "apply")
      .option("--deployer <who>", "who started it (default: $USER)")
      .option("--ref <ref>", "the git ref (attribute ref)")
      .option("--commit <sha>", "the commit (attribute commit)")
      .option("--attr <key=value>", "any attribute the subject template or claims use (repeatable)", collect)
      .option(
        "--timeout <seconds>",
        "how long the request token lives unless finished (default: the organization's)",
      )
      .option("--role-arn <arn>", "also hand the job the role to assume (as its role variable)")
      .option("--format <format>", "env (export lines for eval), dotenv (K=V lines) or json", "env")
      .option("--out <file>", "write the variables to this file (0600) instead of stdout"),
  ).action(async (flags: RunFlags) => {
    const format = flags.json ? "json" : (flags.format ?? "env");
    if (!["env", "dotenv", "json"].includes(format))
      throw inputError(`--format ${format}: env, dotenv or json`);
    if (flags.out !== undefined) checkOutputPath(flags.out, "--out");
    const client = clientFor(flags);
    const org = flags.org;
    const env = await client.call(
      "GET",
      `/api/v1/organizations/${seg(org)}/projects/${seg(flags.project!)}/environments/${seg(flags.environment!)}`,
    );
    const timeout = wholeNumber("--timeout", flags.timeout);
    const created = await client.call("POST", runs(org), {
      environmentId: env.id,
      phase: flags.phase ?? "apply",
      deployer: flags.deployer ?? process.env.USER ?? "keyless",
      attributes: attributes(flags),
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    });
    const text = renderVariables(jobVariables(created, flags.roleArn), format, created.run.id);
    if (flags.out !== undefined) {
      writeSecretOutput(flags.out, text, "--out");
      process.stderr.write(`run ${created.run.id} started; its variables are in ${flags.out}\n`);
    } else process.stdout.write(text);
  });

  withOrg(
    run
      .command("list")
      .description("the organization's runs, newest first (a runner key sees its project's only)")
      .option("--project <project>", "only this project's (name or id)")
      .option("--environment <env>", "only this environment's (name or id; needs --project)")
      .option("--status <status>", "running, succeeded, failed or cancelled")
      .option("--limit <n>", "at most this many (default 100)"),
  ).action(async (flags: RunFlags) => {
    if (flags.environment !== undefined && flags.project === undefined)
      throw inputError("--environment needs --project");
    // The API's query names; projects and environments by name or id.
    const query = {
      projectId: flags.project,
      environmentId: flags.environment,
      status: flags.status,
      limit: wholeNumber("--limit", flags.limit),
    };
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    const r = await clientFor(flags).call("GET", `${runs(flags.org)}?${q}`);
    output(flags, r.runs, () =>
      table(
        ["id", "status", "phase", "deployer", "created", "completed"],
        r.runs.map((x: Run) => [x.id, x.status, x.phase, x.deployer, x.createdAt, x.completedAt]),
      ),
    );
  });

  withOrg(
    run.command("show <run>").description("one run, with the tokens minted for it (never their values)"),
  ).action(async (id: string, flags: RunFlags) => {
    const client = clientFor(flags);
    const r = await client.call("GET", `${runs(flags.org)}/${seg(id)}`);
    const { tokens } = await client.call("GET", `${runs(flags.org)}/${seg(id)}/tokens`);
    output(flags, { ...r, tokens }, () => showRun(r, tokens));
  });

  withOrg(
    run
      .command("finish [run]")
      .description(`end a run (default: $${RUN_ID_VARIABLE}); its request token stops working at once`)
      .option(
        "--status <status>",
        "succeeded, failed or cancelled (CI words too: SUCCESS, FAILURE, ABORTED…)",
        "succeeded",
      ),
  ).action(async (id: string | undefined, flags: RunFlags) => {
    const runId = id ?? process.env[RUN_ID_VARIABLE];
    if (!runId) throw inputError(`name the run, or set ${RUN_ID_VARIABLE} (keyless run start exports it)`);
    const status = STATUS[(flags.status ?? "succeeded").toLowerCase()];
    if (!status) throw inputError(`--status ${flags.status}: succeeded, failed or cancelled`);
    const r = await clientFor(flags).call("POST", `${runs(flags.org)}/${seg(runId)}/complete`, { status });
    output(flags, r, () => `run ${r.id} ${r.status}\n`);
  });
}
