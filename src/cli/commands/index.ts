import type { Command } from "commander";
import { register as serve } from "./serve.js";

/** Each command lives in its own file and registers itself here, one line each. */
export function registerCommands(program: Command): void {
  serve(program);
}
