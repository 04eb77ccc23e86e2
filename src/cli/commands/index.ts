import type { Command } from "commander";
import { register as explain } from "./explain.js";

/** Each command lives in its own file and registers itself here, one line each. */
export function registerCommands(program: Command): void {
  explain(program);
}
