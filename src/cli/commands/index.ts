import type { Command } from "commander";
import { register as decode } from "./decode.js";
import { register as keys } from "./keys.js";
import { register as publish } from "./publish.js";
import { register as serve } from "./serve.js";
import { register as token } from "./token.js";

/** Each command lives in its own file and registers itself here, one line each. */
export function registerCommands(program: Command): void {
  serve(program);
  keys(program);
  publish(program);
  token(program);
  decode(program);
}
