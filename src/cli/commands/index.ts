import type { Command } from "commander";
import * as explain from "./explain.js";
import * as lint from "./lint.js";

/** Each command lives in its own file and registers itself here, one line each. */
export function registerCommands(program: Command): void {
  explain.register(program);
  lint.register(program);
}
