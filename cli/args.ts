import { parseArgs } from "node:util";
import { DEFAULT_STACK_NAME } from "../lambdas/core/contract.js";
import { UsageError } from "./errors.js";

const OPTIONS = {
  // global
  stack: { type: "string" },
  region: { type: "string" },
  profile: { type: "string" },
  json: { type: "boolean" },
  table: { type: "string" },
  topic: { type: "string" },
  "endpoint-url": { type: "string" },
  help: { type: "boolean", short: "h" },
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
} as const;

type OptionName = keyof typeof OPTIONS;

export const COMMANDS = {
  incidents: { options: ["status", "since", "account"], positionals: 0 },
  show: { options: [], positionals: 1 },
  release: { options: ["reason", "yes"], positionals: 1 },
  resolve: { options: ["reason"], positionals: 1 },
  drill: { options: ["timeout", "event-bus"], positionals: 0 },
  audit: { options: [], positionals: 0 },
  // `honeykey <subcommand> [<key>]`: checked against HONEYKEY_SUBCOMMANDS.
  honeykey: { options: ["placement", "path", "name-pattern", "timeout"], positionals: -1 },
  help: { options: [], positionals: 0 },
} as const satisfies Record<string, { options: readonly OptionName[]; positionals: number }>;

export type CommandName = keyof typeof COMMANDS;

/** lkr honeykey's subcommands and how many arguments each takes after it. */
export const HONEYKEY_SUBCOMMANDS = { create: 0, list: 0, show: 1, rotate: 1, retire: 1, test: 1 } as const;
export type HoneykeySubcommand = keyof typeof HONEYKEY_SUBCOMMANDS;

const GLOBAL_OPTIONS: readonly OptionName[] = [
  "stack",
  "region",
  "profile",
  "json",
  "table",
  "topic",
  "endpoint-url",
  "help",
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
  readonly globals: GlobalOptions;
  /** The incident argument of show / release / resolve. */
  readonly target: string | undefined;
  readonly status: string | undefined;
  readonly since: string | undefined;
  /** `incidents --account`: account ids, comma-separated. */
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
}

export const USAGE = `lkr — review, release and drill the leaked-key responder

Usage:
  lkr incidents [--status open|released|resolved] [--since 7d] [--account 123456789012,...]
  lkr show <incident>
  lkr release <incident> --reason "why" [--yes]
  lkr resolve <incident> --reason "why"
  lkr drill [--timeout 120] [--event-bus NAME]   (default: the stack's EventBusName output; env LKR_EVENT_BUS)
  lkr audit           key hygiene of this account's IAM users, per access key, worst first
  lkr honeykey create --placement "where it will be planted" [--path /service/] [--name-pattern "{word}-{env}-{n}"]
  lkr honeykey list | show <key> | rotate <key> | retire <key>
  lkr honeykey test <key> [--timeout 300]   (secret from LKR_HONEYKEY_SECRET or asked): a real call, waits for the alert

<incident> is an incident id (<account>-<access key id>) or an access key id.

Global options:
  --stack NAME        stack of the responder (default ${DEFAULT_STACK_NAME}): its outputs name the table and topic
  --table NAME        incident table (overrides the stack; env LKR_TABLE)
  --topic ARN         alert topic (overrides the stack; env LKR_TOPIC)
  --region REGION     AWS region (default: AWS_REGION / your profile's region)
  --profile NAME      AWS profile from ~/.aws/config
  --endpoint-url URL  AWS endpoint (a local emulator such as moto_server)
  --json              machine-readable output
  -h, --help          this help

Exit codes: 0 ok, 1 failed, 2 usage, 3 unknown incident, 4 conflict with the incident's state, 5 no credentials/region/table.
`;

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
  if (first === undefined && !help) throw new UsageError("no command given");
  const command: CommandName = first === undefined ? "help" : isCommand(first) ? first : "help";
  if (first !== undefined && !isCommand(first)) {
    throw new UsageError(`unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
  }
  const spec = COMMANDS[command];
  const allowed: readonly OptionName[] = [...GLOBAL_OPTIONS, ...spec.options];
  for (const name of Object.keys(values) as OptionName[]) {
    if (values[name] !== undefined && !allowed.includes(name)) {
      throw new UsageError(`--${name} is not an option of "${command}"`);
    }
  }
  let subcommand: HoneykeySubcommand | undefined;
  let target = rest[0];
  if (command === "honeykey" && !help) {
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
  } else if (!help && rest.length !== spec.positionals) {
    throw new UsageError(
      spec.positionals === 0
        ? `"${command}" takes no argument (got ${rest.join(" ")})`
        : `"${command}" needs exactly one incident id or access key id`,
    );
  }
  return {
    command,
    help,
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
  };
}
