import { DEFAULT_STACK_NAME, LKR_CLI_ENV } from "../lambdas/core/contract.js";
import { DEAD_LETTER_QUEUES } from "./dead-letters.js";
import { STATUS_FILTERS } from "./filters.js";

/** What `lkr <command> --help` and `lkr help <command>` print; the global help lists the usage lines. */
export interface CommandHelp {
  /** One line per form of the command, without the leading `lkr `. */
  readonly usage: readonly string[];
  /** One sentence, shown in the global help. */
  readonly summary: string;
  /** The command's own options: `[flag, meaning]`. */
  readonly options: readonly (readonly [string, string])[];
  /** More lines: what it reads or changes, examples. */
  readonly details: readonly string[];
}

/** The --status values, from the filter table the validator uses (itself from the incident model's statuses). */
export const STATUS_CHOICES = Object.keys(STATUS_FILTERS);
export const COMPLETION_SHELLS = ["bash", "zsh"] as const;

/** Help of every command, keyed by command name (a test checks each command of args.ts has one). */
export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  incidents: {
    usage: [`incidents [--status ${STATUS_CHOICES.join("|")}] [--since 7d] [--account 123456789012,...]`],
    summary: "list incidents, newest first",
    options: [
      [
        "--status S",
        `only incidents in status S: ${STATUS_CHOICES.join(", ")} (open = ${(STATUS_FILTERS.open ?? []).join(", ")})`,
      ],
      ["--since D", "only incidents updated in the last D (30m, 12h, 7d, 2w) or since an ISO date"],
      ["--account A", "only incidents of these accounts (comma-separated account ids)"],
    ],
    details: [
      "The table fits the terminal, long cells end in …; --json prints every field in full.",
      "Example: lkr incidents --status open --since 7d",
    ],
  },
  show: {
    usage: ["show <incident>"],
    summary: "everything recorded on one incident, and what a release would do",
    options: [],
    details: [
      "Signals, actions (with results), investigation, release history and the release plan.",
      "Example: lkr show AKIAIOSFODNN7EXAMPLE",
    ],
  },
  release: {
    usage: ['release <incident> --reason "why" [--yes]'],
    summary: "undo exactly what the responder did (a false alarm), record who and why, alert",
    options: [
      ["--reason TEXT", "required: recorded on the incident with your identity"],
      ["-y, --yes", "do not ask for confirmation (needed without a terminal)"],
    ],
    details: [
      "Reactivates the key only if it was Active before, detaches the quarantine policies, removes the tags.",
      'Example: lkr release 123456789012-AKIAIOSFODNN7EXAMPLE --reason "test key from the docs"',
    ],
  },
  resolve: {
    usage: ['resolve <incident> --reason "why"'],
    summary: "close an incident and keep the containment in place (the key was rotated)",
    options: [["--reason TEXT", "required: recorded on the incident with your identity"]],
    details: ['Example: lkr resolve AKIAIOSFODNN7EXAMPLE --reason "rotated; delete the old key next week"'],
  },
  drill: {
    usage: ["drill [--timeout 120] [--event-bus NAME] [--account 111122223333]"],
    summary: "prove the responder works: canary user + key, drill event, time to containment, cleanup",
    options: [
      ["--timeout S", "seconds to wait for the containment (1 to 900, default 120)"],
      [
        "--event-bus NAME",
        `the responder's bus (default: the stack's EventBusName output; env ${LKR_CLI_ENV.eventBus})`,
      ],
      ["--account A", "drill a member account of the Organization through the member role"],
    ],
    details: [
      "Creates and deletes an IAM user of its own; run it as a role named in operatorRoleArns.",
      "--account: uses the member stack's drill user instead (deny-all, one key Inactive at rest): sets its key",
      "Active, waits for the responder to disable it, resolves the incident, takes the fence off; creates nothing.",
    ],
  },
  audit: {
    usage: ["audit [--account 111122223333,... | --organization]"],
    summary: "key hygiene of this account's IAM users, per access key, worst first",
    options: [
      ["--account A", "audit these accounts (comma-separated ids) through the member role"],
      ["--organization", "audit every active account of the Organization (needs organizations:ListAccounts)"],
    ],
    details: [
      "Reads only: the credential report, the users' keys and policies, their incidents.",
      "Other accounts are read through the member role (LKR_MEMBER_ROLE_NAME or the stack's MemberRoleName output);",
      "an account whose role cannot be assumed is reported as unreachable (exit 1), never skipped silently.",
    ],
  },
  honeykey: {
    usage: [
      'honeykey create --placement "where it will be planted" [--path /service/] [--name-pattern "{word}-{env}-{n}"]',
      "honeykey create --placement P --account 111122223333 (--account-profile NAME | --role-arn ARN)",
      "honeykey list [--account A] | show <key> | rotate <key> | retire <key>",
      "honeykey test <key> [--timeout 300]",
    ],
    summary: "plant, list, rotate, retire and test honey keys (powerless keys whose any use is a leak)",
    options: [
      ["--placement TEXT", "create: where the key will be planted (named in every alert)"],
      ["--path PATH", "create: the honey users' IAM path (default: the stack's HoneyKeyPath output)"],
      ["--name-pattern P", "create: the user name pattern; never canary/honey/decoy"],
      ["--timeout S", "test: seconds to wait for the alert"],
      ["--account A", "the member account the honey key is (to be) in; list: only its keys"],
      [
        "--account-profile NAME",
        "create/rotate/retire in --account with your profile there (checked with STS)",
      ],
      ["--role-arn ARN", "create/rotate/retire in --account by assuming your role there (checked with STS)"],
    ],
    details: [
      "create prints the key once (credentials profile, env vars, JSON); list and show never print a secret.",
      "retire sets the key Inactive and deletes nothing; rotate plants a new user and key for the same placement.",
      "test signs a real sts:GetCallerIdentity with the key (secret from LKR_HONEYKEY_SECRET or asked) and waits for the alert.",
      "The member role never creates users or keys: planting in a member account takes your own credentials there;",
      "the record goes to the central table. retire in a member account without them uses the member role (disable only).",
    ],
  },
  dlq: {
    usage: ["dlq [list]", "dlq redrive [--queue NAME] [--yes]"],
    summary: "what the dead-letter queues hold, and send it back to be processed again",
    options: [
      ["--queue NAME", `only this queue (${DEAD_LETTER_QUEUES.map((q) => q.name).join(", ")})`],
      ["-y, --yes", "redrive without asking (needed without a terminal)"],
    ],
    details: [
      "list: each dead-letter queue of the stack (from its outputs), its depth, and the events it holds:",
      "  source, detail type, event id, why it failed. Listing leaves the messages where they are.",
      "redrive: each message goes back to where it failed (respond: the informational queue the respond",
      "  function drains; investigate, audit and webhook: an asynchronous invoke of the function), and is",
      "  deleted from the dead-letter queue only once that succeeded. Fix the cause first (see why it failed).",
      "webhook: the Slack/Teams forwarder's queue, only on a stack with a webhook (its SNS events, as kept).",
    ],
  },
  completion: {
    usage: [`completion ${COMPLETION_SHELLS.join("|")}`],
    summary: "print a shell completion script",
    options: [],
    details: [
      'bash: eval "$(lkr completion bash)"   (or save it in /etc/bash_completion.d/lkr)',
      'zsh:  eval "$(lkr completion zsh)"    (or save it as _lkr in a directory of your $fpath)',
    ],
  },
  help: {
    usage: ["help [command]"],
    summary: "this help, or one command's",
    options: [],
    details: [],
  },
};

/** Options every command takes. */
export const GLOBAL_OPTION_HELP: readonly (readonly [string, string])[] = [
  [
    "--stack NAME",
    `stack of the responder (default ${DEFAULT_STACK_NAME}): its outputs name the table and topic`,
  ],
  ["--table NAME", `incident table (overrides the stack; env ${LKR_CLI_ENV.table})`],
  ["--topic ARN", `alert topic (overrides the stack; env ${LKR_CLI_ENV.topic})`],
  ["--region REGION", "AWS region (default: AWS_REGION / your profile's region)"],
  ["--profile NAME", "AWS profile from ~/.aws/config"],
  ["--endpoint-url URL", "AWS endpoint (a local emulator such as moto_server)"],
  ["--json", "machine-readable output, every field in full"],
  ["-h, --help", "this help; lkr <command> --help for one command's"],
  ["-V, --version", "the version of lkr"],
];

const EXIT_CODES =
  "Exit codes: 0 ok, 1 failed, 2 usage, 3 unknown incident, 4 conflict with the incident's state, 5 no credentials/region/table.";

function optionLines(options: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...options.map(([flag]) => flag.length));
  return options.map(([flag, meaning]) => `  ${flag.padEnd(width)}  ${meaning}`);
}

/** `lkr --help`: every command with its summary, the global options, the exit codes. */
export function globalHelp(commands: readonly string[]): string {
  const width = Math.max(...commands.map((name) => name.length));
  return [
    "lkr — review, release and drill the leaked-key responder",
    "",
    "Usage: lkr <command> [options]",
    "",
    "Commands:",
    ...commands.map((name) => `  ${name.padEnd(width)}  ${COMMAND_HELP[name]?.summary ?? ""}`.trimEnd()),
    "",
    "<incident> is an incident id (<account>-<access key id>) or an access key id.",
    "lkr <command> --help (or lkr help <command>) shows a command's usage and options.",
    "",
    "Global options:",
    ...optionLines(GLOBAL_OPTION_HELP),
    "",
    EXIT_CODES,
    "",
  ].join("\n");
}

/** `lkr <command> --help`: its usage, what it does, its options, then the global options. */
export function commandHelp(name: string): string {
  const help = COMMAND_HELP[name];
  if (help === undefined) return `lkr ${name}\n`;
  return [
    "Usage:",
    ...help.usage.map((usage) => `  lkr ${usage}`),
    "",
    `${help.summary.charAt(0).toUpperCase()}${help.summary.slice(1)}.`,
    ...(help.details.length > 0 ? ["", ...help.details] : []),
    ...(help.options.length > 0 ? ["", "Options:", ...optionLines(help.options)] : []),
    "",
    "Global options:",
    ...optionLines(GLOBAL_OPTION_HELP),
    "",
    EXIT_CODES,
    "",
  ].join("\n");
}
