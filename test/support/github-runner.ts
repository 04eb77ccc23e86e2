import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { type RunResult, runCommand } from "./cli.js";

/**
 * GitHub's runner, simulated for a JavaScript action as the runner itself does it: it reads the
 * action's `action.yml`, sets `INPUT_<NAME>` (upper-cased, spaces to `_`, hyphens kept) for each given
 * input and for every other input that has a default, gives the step fresh `GITHUB_ENV`, `GITHUB_OUTPUT`,
 * `GITHUB_STATE` and `GITHUB_STEP_SUMMARY` files and `RUNNER_TEMP`, runs `runs.main` with `node`, then
 * reads those files back (both `name=value` and `name<<DELIMITER` entries) and collects `::add-mask::`
 * values from stdout. A post step gets `STATE_<name>` for what main saved.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#environment-files
 */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface ActionMetadata {
  inputs: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; main: string; post?: string };
}

export const actionMetadata = (actionDir = REPO_ROOT): ActionMetadata =>
  parse(readFileSync(join(actionDir, "action.yml"), "utf8")) as ActionMetadata;

export interface StepResult extends RunResult {
  /** What the step appended to GITHUB_ENV, as the runner sets it for the following steps. */
  readonly env: Record<string, string>;
  readonly outputs: Record<string, string>;
  readonly state: Record<string, string>;
  readonly summary: string;
  /** Values announced with ::add-mask::. */
  readonly masks: string[];
}

/** Parses an environment file as the runner does (`name=value`, or `name<<DELIMITER` … `DELIMITER`). */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`no closing delimiter for ${name}`);
      out[name!] = value.join("\n");
    } else {
      const eq = line.indexOf("=");
      if (eq <= 0) throw new Error(`not an environment file line: ${line}`);
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

/**
 * Runs the action's `main` (or, with `post`, its post step) in `dir` (its own runner files), with
 * `inputs` as the workflow's `with:` and `env` as the step's environment; the action is the one in
 * `actionDir` (default: this repository, as `uses: ./` runs it).
 */
export async function runActionStep(
  dir: string,
  inputs: Record<string, string>,
  env: NodeJS.ProcessEnv,
  options: { post?: Record<string, string>; actionDir?: string } = {},
): Promise<StepResult> {
  const actionDir = options.actionDir ?? REPO_ROOT;
  const meta = actionMetadata(actionDir);
  if (meta.runs.using !== "node20") throw new Error(`unexpected runs.using ${meta.runs.using}`);
  mkdirSync(dir, { recursive: true });
  const files = {
    GITHUB_ENV: join(dir, "set_env"),
    GITHUB_OUTPUT: join(dir, "set_output"),
    GITHUB_STATE: join(dir, "save_state"),
    GITHUB_STEP_SUMMARY: join(dir, "step_summary"),
  };
  for (const file of Object.values(files)) writeFileSync(file, "");
  const temp = join(dir, "temp");
  mkdirSync(temp, { recursive: true });
  const inputEnv: Record<string, string> = {};
  for (const [name, spec] of Object.entries(meta.inputs)) {
    const value = inputs[name] ?? spec.default;
    if (value !== undefined) inputEnv[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  }
  for (const name of Object.keys(inputs))
    if (!(name in meta.inputs)) throw new Error(`input ${name} is not declared in action.yml`);
  const stateEnv = Object.fromEntries(Object.entries(options.post ?? {}).map(([k, v]) => [`STATE_${k}`, v]));
  const entry = join(actionDir, options.post ? meta.runs.post! : meta.runs.main);
  const r = await runCommand(process.execPath, [entry], {
    env: { ...env, ...inputEnv, ...stateEnv, ...files, RUNNER_TEMP: temp, GITHUB_ACTIONS: "true" },
    cwd: dir,
    timeoutMs: 120_000,
  });
  const read = (file: string) => readFileSync(file, "utf8");
  return {
    ...r,
    env: parseEnvironmentFile(read(files.GITHUB_ENV)),
    outputs: parseEnvironmentFile(read(files.GITHUB_OUTPUT)),
    state: parseEnvironmentFile(read(files.GITHUB_STATE)),
    summary: read(files.GITHUB_STEP_SUMMARY),
    masks: [...r.stdout.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]!),
  };
}
