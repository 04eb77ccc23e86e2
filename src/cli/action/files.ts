import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import { fileErrorFrom } from "../../lib/errors.js";

/**
 * The GitHub Actions runner's side of a step, as a JavaScript action talks to it: inputs arrive as
 * `INPUT_<NAME>` variables (the name upper-cased, spaces as `_`, hyphens kept), and the step hands
 * environment variables, outputs, state for its post step and a Markdown summary back by appending to
 * the files named by `GITHUB_ENV`, `GITHUB_OUTPUT`, `GITHUB_STATE` and `GITHUB_STEP_SUMMARY`. Workflow
 * commands (`::add-mask::`, `::error::`) go to stdout. Written here rather than with @actions/core: the
 * protocol is these few lines, and the bundle stays free of packages.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
 * https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions#inputs
 */
export interface StepIo {
  input(name: string): string;
  booleanInput(name: string): boolean;
  multilineInput(name: string): string[];
  /** Appends `name` = `value` to GITHUB_ENV (the following steps' environment). */
  exportVariable(name: string, value: string): void;
  setOutput(name: string, value: string): void;
  saveState(name: string, value: string): void;
  /** Appends Markdown to the step summary (GITHUB_STEP_SUMMARY); silently nothing when unset. */
  summary(markdown: string): void;
  /** `::add-mask::` for each non-empty value: the runner replaces it with *** in every later log line. */
  mask(...values: string[]): void;
  log(line: string): void;
  error(message: string): void;
}

export class ActionInputError extends Error {}

/** The runner's step I/O over `env` and `out` (stdout). */
export function stepIo(env: NodeJS.ProcessEnv, out: (text: string) => void): StepIo {
  const input = (name: string) => (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
  /**
   * Multi-line and special values use the delimiter form `name<<DELIMITER`, with a random delimiter
   * that the value cannot contain (as @actions/core writes them), so a value can never end the entry
   * early and inject another variable.
   * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#multiline-strings
   */
  const append = (variable: string, name: string, value: string) => {
    const file = env[variable];
    if (!file) {
      out(
        `::warning::${variable} is not set: ${name} is not passed on (is this running in a GitHub Actions job?)\n`,
      );
      return;
    }
    let delimiter = `ghadelimiter_${randomUUID()}`;
    while (value.includes(delimiter) || name.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
    try {
      appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
    } catch (error) {
      throw fileErrorFrom(error, variable, file, "the runner's file must be writable by the step");
    }
  };
  return {
    input,
    booleanInput(name) {
      const value = input(name);
      // The YAML 1.2 core schema's booleans, as @actions/core's getBooleanInput accepts them.
      if (["true", "True", "TRUE"].includes(value)) return true;
      if (["false", "False", "FALSE", ""].includes(value)) return false;
      throw new ActionInputError(`input ${name}: "${value}" is not a boolean (true or false)`);
    },
    multilineInput: (name) =>
      input(name)
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== ""),
    exportVariable: (name, value) => append("GITHUB_ENV", name, value),
    setOutput: (name, value) => append("GITHUB_OUTPUT", name, value),
    saveState: (name, value) => append("GITHUB_STATE", name, value),
    summary(markdown) {
      const file = env.GITHUB_STEP_SUMMARY;
      if (!file) return;
      try {
        appendFileSync(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
      } catch (error) {
        throw fileErrorFrom(error, "GITHUB_STEP_SUMMARY", file, "the runner's file must be writable");
      }
    },
    mask(...values) {
      for (const value of values) if (value) out(`::add-mask::${value}\n`);
    },
    log: (line) => out(`${line}\n`),
    // Workflow command data escapes %, CR and LF, so a multi-line message stays one annotation.
    error: (message) =>
      out(`::error::${message.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}\n`),
  };
}
