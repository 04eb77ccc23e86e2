import type { Command } from "commander";
import * as emulator from "./emulator.js";
import * as explain from "./explain.js";
import * as init from "./init.js";
import * as lint from "./lint.js";

/** Each command lives in its own file and registers itself here, one line each. */
export function registerCommands(program: Command): void {
  emulator.register(program);
  explain.register(program);
  init.register(program);
  lint.register(program);
}
