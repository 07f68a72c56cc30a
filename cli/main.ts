import { COMMANDS, type CommandName, parseCommandLine, USAGE } from "./args.js";
import { AwsContext, cloudFormationOutputs, type StackOutputsReader } from "./aws.js";
import { auditCommand } from "./commands/audit.js";
import type { CommandContext } from "./commands/common.js";
import { dlqCommand } from "./commands/dlq.js";
import { honeykeyCommand } from "./commands/honeykey.js";
import { incidentsCommand } from "./commands/incidents.js";
import { drillAnyCommand } from "./commands/member-drill.js";
import { releaseCommand, resolveCommand } from "./commands/release.js";
import { showCommand } from "./commands/show.js";
import { bashCompletion, zshCompletion } from "./completion.js";
import { EXIT, explainError, UsageError } from "./errors.js";
import { commandHelp } from "./help.js";
import { eprintln, type Io, processIo } from "./io.js";
import { quietSdkNodeVersionWarning } from "./sdk-warnings.js";
import { lkrVersion } from "./version.js";

/** Commands that answer without AWS. */
type LocalCommand = "help" | "completion";

const HANDLERS: Readonly<
  Record<Exclude<CommandName, LocalCommand>, (ctx: CommandContext) => Promise<number>>
> = {
  incidents: incidentsCommand,
  show: showCommand,
  release: releaseCommand,
  resolve: resolveCommand,
  drill: drillAnyCommand,
  audit: auditCommand,
  honeykey: honeykeyCommand,
  dlq: dlqCommand,
};

/** `lkr help [command]`, `lkr <command> --help`, `lkr completion <shell>`: text only, no AWS. */
function answerLocally(args: ReturnType<typeof parseCommandLine>): string | undefined {
  if (args.version) return lkrVersion();
  if (args.command === "help") {
    const topic = args.target;
    if (topic === undefined) return USAGE;
    if (!Object.hasOwn(COMMANDS, topic)) {
      throw new UsageError(`no help for "${topic}": commands are ${Object.keys(COMMANDS).join(", ")}`);
    }
    return commandHelp(topic);
  }
  if (args.help) return commandHelp(args.command);
  if (args.command === "completion") {
    if (args.target === "bash") return bashCompletion();
    if (args.target === "zsh") return zshCompletion();
    throw new UsageError(`completion for "${args.target}": supported shells are bash, zsh`);
  }
  return undefined;
}

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
    const args = parseCommandLine(argv);
    const local = answerLocally(args);
    if (local !== undefined) {
      io.stdout(local.endsWith("\n") ? local : `${local}\n`);
      return EXIT.ok;
    }
    if (args.command === "help" || args.command === "completion") return EXIT.usage; // answered above
    quietSdkNodeVersionWarning();
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
