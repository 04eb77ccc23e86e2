import type { Command } from "commander";

/**
 * Every command, by name, with a loader for its module: each command lives in its own file and is
 * imported only when it runs (or when help lists them all), so `keyless assume` in a job pays for the
 * STS client and not for the emulator's store or the linter's YAML parser. One line per command.
 */
type CommandModule = { register(program: Command): void };

export const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  "api-key": () => import("./api-key.js"),
  assume: () => import("./assume.js"),
  audit: () => import("./audit.js"),
  decode: () => import("./decode.js"),
  dev: () => import("./dev.js"),
  emulator: () => import("./emulator.js"),
  env: () => import("./env.js"),
  exec: () => import("./exec.js"),
  explain: () => import("./explain.js"),
  init: () => import("./init.js"),
  keys: () => import("./keys.js"),
  lint: () => import("./lint.js"),
  login: () => import("./login.js"),
  logout: () => import("./logout.js"),
  org: () => import("./org.js"),
  project: () => import("./project.js"),
  publish: () => import("./publish.js"),
  run: () => import("./run.js"),
  serve: () => import("./serve.js"),
  token: () => import("./token.js"),
};

/** Registers the command named on the command line, or all of them (for help and unknown names). */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const name = argv.find((arg) => !arg.startsWith("-"));
  if (name === undefined && (argv.includes("--version") || argv.includes("-V"))) return;
  const only = name !== undefined ? COMMANDS[name] : undefined;
  const modules = only ? [only] : Object.values(COMMANDS);
  for (const module of await Promise.all(modules.map((load) => load()))) module.register(program);
}
