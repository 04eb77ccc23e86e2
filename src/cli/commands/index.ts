import type { Command } from "commander";
import * as decode from "./decode.js";
import * as emulator from "./emulator.js";
import * as explain from "./explain.js";
import * as keys from "./keys.js";
import * as lint from "./lint.js";
import * as publish from "./publish.js";
import * as serve from "./serve.js";
import * as token from "./token.js";

/** Each command lives in its own file and registers itself here, one line each. */
export function registerCommands(program: Command): void {
  emulator.register(program);
  explain.register(program);
  lint.register(program);
  serve.register(program);
  keys.register(program);
  publish.register(program);
  token.register(program);
  decode.register(program);
}
