import type { Command } from "commander";
import * as assume from "./assume.js";
import * as emulator from "./emulator.js";
import * as exec from "./exec.js";
import * as explain from "./explain.js";
import * as lint from "./lint.js";

/** Each command lives in its own file and registers itself here, one line each. */
export function registerCommands(program: Command): void {
  assume.register(program);
  emulator.register(program);
  exec.register(program);
  explain.register(program);
  lint.register(program);
}
