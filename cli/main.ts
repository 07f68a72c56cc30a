import { type CommandName, parseCommandLine, USAGE } from "./args.js";
import { AwsContext, cloudFormationOutputs, type StackOutputsReader } from "./aws.js";
import { auditCommand } from "./commands/audit.js";
import type { CommandContext } from "./commands/common.js";
import { drillCommand } from "./commands/drill.js";
import { honeykeyCommand } from "./commands/honeykey.js";
import { incidentsCommand } from "./commands/incidents.js";
import { releaseCommand, resolveCommand } from "./commands/release.js";
import { showCommand } from "./commands/show.js";
import { EXIT, explainError } from "./errors.js";
import { eprintln, type Io, println, processIo } from "./io.js";
import { packageVersion } from "./version.js";

const HANDLERS: Readonly<Record<Exclude<CommandName, "help">, (ctx: CommandContext) => Promise<number>>> = {
  incidents: incidentsCommand,
  show: showCommand,
  release: releaseCommand,
  resolve: resolveCommand,
  drill: drillCommand,
  audit: auditCommand,
  honeykey: honeykeyCommand,
};

export interface MainOptions {
  readonly io?: Io;
  /** Reads a stack's outputs when --table/--topic are not given. */
  readonly stackOutputs?: StackOutputsReader;
}

/**
 * Runs one lkr command and returns its exit code; never throws and never exits the process, so
 * tests and the local drill call it in-process. bin/lkr.mjs sets process.exitCode from it.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? processIo();
  const json = argv.includes("--json");
  let aws: AwsContext | undefined;
  let table: string | undefined;
  let region: string | undefined;
  try {
    if (argv.includes("--version")) {
      println(io, `lkr ${packageVersion()}`);
      return EXIT.ok;
    }
    const args = parseCommandLine(argv);
    if (args.help || args.command === "help") {
      println(io, USAGE);
      return EXIT.ok;
    }
    aws = new AwsContext(args.globals, io.env, options.stackOutputs ?? cloudFormationOutputs);
    table = args.globals.table ?? io.env.LKR_TABLE;
    region = args.globals.region;
    return await HANDLERS[args.command]({ io, args, aws });
  } catch (error) {
    const explained = explainError(error, { ...(table ? { table } : {}), ...(region ? { region } : {}) });
    if (json) {
      const name = error instanceof Error ? error.name : "Error";
      eprintln(io, JSON.stringify({ error: { name, message: explained.message, exitCode: explained.code } }));
    } else {
      eprintln(io, `lkr: ${explained.message}`);
    }
    return explained.code;
  } finally {
    aws?.destroy();
  }
}
