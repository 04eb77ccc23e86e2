import "./sdk-quiet.js";
import { Command, CommanderError } from "commander";
import { EXIT_STATUS, isKeylessError, type KeylessError } from "../lib/errors.js";
import { registerCommands } from "./commands/index.js";

/**
 * The CLI's one place for failures: every failure is one `keyless: …` line on stderr, never a stack
 * trace, and the exit status follows from the error's class (`EXIT_STATUS`): 1 a negative answer, 2 bad
 * input, 3 a failure outside keyless. Commands just throw; nothing else sets an error status.
 */
const program = new Command("keyless")
  .description(
    "OpenID Connect for infrastructure pipelines: issuer, runner, AWS emulator and trust-policy analyst",
  )
  .version(process.env.npm_package_version ?? "0.1.0")
  // Commander's own messages (unknown option, missing argument) are printed below, as one line.
  .configureOutput({ outputError: () => {} })
  .enablePositionalOptions()
  .exitOverride();

/** Exit statuses that are not a class: a shell's "command not found" for `exec`'s child (POSIX 2.8.2). */
const SPECIAL_STATUS: Readonly<Partial<Record<string, number>>> = { ERR_CHILD_NOT_FOUND: 127 };

function fail(message: string, code: number): never {
  process.stderr.write(`keyless: ${message}\n`);
  process.exit(code);
}

const statusOf = (error: KeylessError) => SPECIAL_STATUS[error.code] ?? EXIT_STATUS[error.exitClass];

try {
  await registerCommands(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (error) {
  if (isKeylessError(error)) fail(error.message, statusOf(error));
  if (error instanceof CommanderError) {
    // --help and --version arrive here with exit code 0; help shown for a missing command has been
    // written already; every other usage mistake is bad input.
    if (error.exitCode === 0) process.exit(EXIT_STATUS.ok);
    if (error.code === "commander.help") process.exit(EXIT_STATUS.input);
    fail(`${error.message.replace(/^error: /, "")} (run keyless --help for usage)`, EXIT_STATUS.input);
  }
  const message = error instanceof Error ? error.message : String(error);
  fail(`unexpected error: ${message}`, EXIT_STATUS.outside);
}
