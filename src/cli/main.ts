import "./sdk-quiet.js";
import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands/index.js";
import { CliError, EXIT } from "./errors.js";

const program = new Command("keyless")
  .description(
    "OpenID Connect for infrastructure pipelines: issuer, runner, AWS emulator and trust-policy analyst",
  )
  .version(process.env.npm_package_version ?? "0.1.0")
  .showHelpAfterError("(run with --help for usage)")
  .enablePositionalOptions()
  .exitOverride();

function fail(message: string, code: number): never {
  process.stderr.write(`keyless: ${message}\n`);
  process.exit(code);
}

try {
  await registerCommands(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError) fail(error.message, error.exitCode);
  if (error instanceof CommanderError) {
    // --help and --version arrive here with exit code 0; usage mistakes get the CLI's "bad input" code.
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  const message = error instanceof Error ? error.message : String(error);
  fail(`unexpected error: ${message}`, EXIT.failure);
}
