import { parseArgs } from "node:util";
import { DEFAULT_STACK_NAME } from "../lambdas/core/contract.js";
import { UsageError } from "./errors.js";
import { globalHelp } from "./help.js";

export const OPTIONS = {
  // global
  stack: { type: "string" },
  region: { type: "string" },
  profile: { type: "string" },
  json: { type: "boolean" },
  table: { type: "string" },
  topic: { type: "string" },
  "endpoint-url": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  // per command
  status: { type: "string" },
  since: { type: "string" },
  account: { type: "string" },
  reason: { type: "string" },
  yes: { type: "boolean", short: "y" },
  timeout: { type: "string" },
  "event-bus": { type: "string" },
  placement: { type: "string" },
  path: { type: "string" },
  "name-pattern": { type: "string" },
  queue: { type: "string" },
  organization: { type: "boolean" },
  "account-profile": { type: "string" },
  "role-arn": { type: "string" },
} as const;

export type OptionName = keyof typeof OPTIONS;

/**
 * Every command, its options and how many arguments it takes (`positionals` at most,
 * `minPositionals` at least, default: exactly `positionals`). Help text: cli/help.ts.
 */
export const COMMANDS = {
  incidents: { options: ["status", "since", "account"], positionals: 0 },
  show: { options: [], positionals: 1 },
  release: { options: ["reason", "yes"], positionals: 1 },
  resolve: { options: ["reason"], positionals: 1 },
  drill: { options: ["timeout", "event-bus", "account"], positionals: 0 },
  audit: { options: ["account", "organization"], positionals: 0 },
  // `honeykey <subcommand> [<key>]`: checked against HONEYKEY_SUBCOMMANDS.
  honeykey: {
    options: ["placement", "path", "name-pattern", "timeout", "account", "account-profile", "role-arn"],
    positionals: -1,
  },
  dlq: { options: ["queue", "yes"], positionals: 1, minPositionals: 0 },
  completion: { options: [], positionals: 1 },
  help: { options: [], positionals: 1, minPositionals: 0 },
} as const satisfies Record<
  string,
  { options: readonly OptionName[]; positionals: number; minPositionals?: number }
>;

export type CommandName = keyof typeof COMMANDS;

/** lkr honeykey's subcommands and how many arguments each takes after it. */
export const HONEYKEY_SUBCOMMANDS = { create: 0, list: 0, show: 1, rotate: 1, retire: 1, test: 1 } as const;
export type HoneykeySubcommand = keyof typeof HONEYKEY_SUBCOMMANDS;

export const GLOBAL_OPTIONS: readonly OptionName[] = [
  "stack",
  "region",
  "profile",
  "json",
  "table",
  "topic",
  "endpoint-url",
  "help",
  "version",
];

export interface GlobalOptions {
  readonly stack: string;
  readonly region: string | undefined;
  readonly profile: string | undefined;
  readonly json: boolean;
  readonly table: string | undefined;
  readonly topic: string | undefined;
  readonly endpointUrl: string | undefined;
}

export interface ParsedCommand {
  readonly command: CommandName;
  readonly help: boolean;
  /** `--version`: print the version, nothing else. */
  readonly version: boolean;
  readonly globals: GlobalOptions;
  /** The argument: the incident of show / release / resolve, the command of help, the shell of completion, the action of dlq. */
  readonly target: string | undefined;
  readonly status: string | undefined;
  readonly since: string | undefined;
  /** `incidents --account`, `audit --account`: account ids, comma-separated; `honeykey --account`: one. */
  readonly account: string | undefined;
  readonly reason: string | undefined;
  readonly yes: boolean;
  readonly timeout: string | undefined;
  readonly eventBus: string | undefined;
  /** lkr honeykey: the subcommand, and its options. */
  readonly subcommand?: HoneykeySubcommand | undefined;
  readonly placement?: string | undefined;
  readonly path?: string | undefined;
  readonly namePattern?: string | undefined;
  /** lkr honeykey in another account: a profile of the operator's there, or a role of theirs to assume. */
  readonly accountProfile?: string | undefined;
  readonly roleArn?: string | undefined;
  readonly queue: string | undefined;
  /** `audit --organization`: every active account of the Organization. */
  readonly organization?: boolean;
}

/** `lkr --help`. */
export const USAGE = globalHelp(Object.keys(COMMANDS));

function isCommand(value: string): value is CommandName {
  return Object.hasOwn(COMMANDS, value);
}

/** Parses argv (without node and the script); options may come before or after the command. */
export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  const help = values.help === true;
  const version = values.version === true;
  if (first === undefined && !help && !version) throw new UsageError("no command given");
  const command: CommandName = first === undefined ? "help" : isCommand(first) ? first : "help";
  if (first !== undefined && !isCommand(first)) {
    throw new UsageError(`unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
  }
  const spec: { options: readonly OptionName[]; positionals: number; minPositionals?: number } =
    COMMANDS[command];
  const allowed: readonly OptionName[] = [...GLOBAL_OPTIONS, ...spec.options];
  for (const name of Object.keys(values) as OptionName[]) {
    if (values[name] !== undefined && !allowed.includes(name)) {
      throw new UsageError(`--${name} is not an option of "${command}"`);
    }
  }
  const fewest = spec.minPositionals ?? spec.positionals;
  let subcommand: HoneykeySubcommand | undefined;
  let target = rest[0];
  if (command === "honeykey" && !help && !version) {
    const [sub, ...args] = rest;
    if (sub === undefined || !Object.hasOwn(HONEYKEY_SUBCOMMANDS, sub)) {
      throw new UsageError(`honeykey needs a subcommand: ${Object.keys(HONEYKEY_SUBCOMMANDS).join(", ")}`);
    }
    subcommand = sub as HoneykeySubcommand;
    if (args.length !== HONEYKEY_SUBCOMMANDS[subcommand]) {
      throw new UsageError(
        HONEYKEY_SUBCOMMANDS[subcommand] === 0
          ? `"honeykey ${sub}" takes no argument (got ${args.join(" ")})`
          : `"honeykey ${sub}" needs exactly one honey key's access key id`,
      );
    }
    target = args[0];
  } else if (!help && !version && (rest.length < fewest || rest.length > spec.positionals)) {
    throw new UsageError(
      spec.positionals === 0
        ? `"${command}" takes no argument (got ${rest.join(" ")})`
        : `"${command}" takes ${fewest === spec.positionals ? "exactly" : "at most"} one argument: ${argumentOf(command)}`,
    );
  }
  return {
    command,
    help,
    version,
    globals: {
      stack: values.stack ?? DEFAULT_STACK_NAME,
      region: values.region,
      profile: values.profile,
      json: values.json === true,
      table: values.table,
      topic: values.topic,
      endpointUrl: values["endpoint-url"],
    },
    target,
    status: values.status,
    since: values.since,
    account: values.account,
    reason: values.reason,
    yes: values.yes === true,
    timeout: values.timeout,
    eventBus: values["event-bus"],
    subcommand,
    placement: values.placement,
    path: values.path,
    namePattern: values["name-pattern"],
    accountProfile: values["account-profile"],
    roleArn: values["role-arn"],
    queue: values.queue,
    organization: values.organization === true,
  };
}

/** What a command's argument is, for the usage error. */
function argumentOf(command: CommandName): string {
  switch (command) {
    case "help":
      return "a command";
    case "completion":
      return "a shell (bash or zsh)";
    case "dlq":
      return "list or redrive";
    default:
      return "an incident id or access key id";
  }
}
