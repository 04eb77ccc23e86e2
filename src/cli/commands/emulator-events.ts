import { resolve } from "node:path";
import type { Command } from "commander";
import { eventLine, readEvents } from "../../aws/authz/decision-log.js";
import type { DecisionEvent } from "../../aws/authz/events.js";
import { inputError } from "../../lib/errors.js";

interface EventsOptions {
  dataDir: string;
  follow?: boolean;
  refused?: boolean;
  json?: boolean;
  interval: string;
}

/**
 * `keyless emulator events`: the decision log of an emulator data dir (every process writing there),
 * oldest first, one line per call (`--json`: the CloudTrail-shaped event per line); `--follow` keeps
 * printing new events until interrupted.
 */
export function registerEvents(emulator: Command): void {
  emulator
    .command("events")
    .description("list (and --follow) the emulator's decision log: one line per IAM/STS call")
    .requiredOption("--data-dir <dir>", "the emulator's data dir (keyless dev: .keyless/dev/aws)")
    .option("--follow", "keep printing new events")
    .option("--refused", "only calls that were refused (AccessDenied and other errors)")
    .option("--json", "one CloudTrail-shaped JSON event per line")
    .option("--interval <ms>", "with --follow: how often to look for new events", "500")
    .addHelpText(
      "after",
      `
Examples:
  keyless emulator events --data-dir .keyless/emulator --refused
  keyless emulator events --data-dir .keyless/dev/aws --follow
  keyless explain --event <eventID> --data-dir .keyless/emulator`,
    )
    .action(async (options: EventsOptions) => {
      const interval = Number(options.interval);
      if (!Number.isInteger(interval) || interval < 50)
        throw inputError(`--interval ${options.interval}: expected ≥ 50`);
      const dataDir = resolve(options.dataDir);
      const seen = new Set<string>();
      const print = () => {
        for (const e of readEvents(dataDir)) {
          if (seen.has(e.eventID)) continue;
          seen.add(e.eventID);
          if (options.refused && !e.errorCode) continue;
          process.stdout.write(options.json ? `${JSON.stringify(e)}\n` : `${eventLine(e)}\n`);
        }
      };
      print();
      if (!options.follow) return;
      await new Promise<void>((done) => {
        const timer = setInterval(print, interval);
        const stop = () => {
          clearInterval(timer);
          done();
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}

/** The event with this id under the data dir, or bad input. */
export function findEvent(dataDir: string, id: string): DecisionEvent {
  const event = readEvents(resolve(dataDir)).find((e) => e.eventID === id);
  if (!event) throw inputError(`no event ${id} in the decision log of ${dataDir}`);
  return event;
}
