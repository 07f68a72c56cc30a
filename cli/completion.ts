import { COMMANDS, type CommandName, GLOBAL_OPTIONS, OPTIONS, type OptionName } from "./args.js";
import { DEAD_LETTER_QUEUES } from "./dead-letters.js";
import { COMPLETION_SHELLS, STATUS_CHOICES } from "./help.js";

/** Fixed values an option or a command's argument can take, completed by the shell. */
const OPTION_VALUES: Partial<Record<OptionName, readonly string[]>> = { status: STATUS_CHOICES };
const ARGUMENT_VALUES: Partial<Record<CommandName, readonly string[]>> = {
  help: Object.keys(COMMANDS),
  completion: COMPLETION_SHELLS,
  dlq: ["list", "redrive"],
};
const DLQ_QUEUES = DEAD_LETTER_QUEUES.map((q) => q.name);

function flagsOf(names: readonly OptionName[]): string {
  return names.map((name) => `--${name}`).join(" ");
}

function words(values: readonly string[]): string {
  return values.join(" ");
}

/**
 * A bash completion function for lkr, generated from the same tables the parser uses, so it
 * offers exactly the commands, options and values lkr accepts.
 */
export function bashCompletion(): string {
  const valued = (Object.keys(OPTIONS) as OptionName[]).filter((name) => OPTIONS[name].type === "string");
  const perCommand = (Object.keys(COMMANDS) as CommandName[]).map((name) => {
    const spec = COMMANDS[name];
    return `    ${name}) opts="${flagsOf(spec.options)}"; args="${words(ARGUMENT_VALUES[name] ?? [])}" ;;`;
  });
  const perOption = (Object.keys(OPTION_VALUES) as OptionName[]).map(
    (name) =>
      `    --${name}) COMPREPLY=($(compgen -W "${words(OPTION_VALUES[name] ?? [])}" -- "$cur")); return ;;`,
  );
  return `# lkr completion for bash: eval "$(lkr completion bash)"
_lkr() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local globals="${flagsOf(GLOBAL_OPTIONS)}"
  local cmd="" i word skip=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ -n $skip ]]; then skip=""; continue; fi
    case "$word" in
      ${valued.map((name) => `--${name}`).join("|")}) skip=1 ;;
      -*) ;;
      *) cmd="$word"; break ;;
    esac
  done
  case "$prev" in
${perOption.join("\n")}
    --queue) COMPREPLY=($(compgen -W "${words(DLQ_QUEUES)}" -- "$cur")); return ;;
    ${valued
      .filter((name) => !(name in OPTION_VALUES) && name !== "queue")
      .map((name) => `--${name}`)
      .join("|")}) return ;;
  esac
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "${words(Object.keys(COMMANDS))} $globals" -- "$cur"))
    return
  fi
  local opts="" args=""
  case "$cmd" in
${perCommand.join("\n")}
  esac
  COMPREPLY=($(compgen -W "$opts $globals $args" -- "$cur"))
}
complete -F _lkr lkr
`;
}

/**
 * zsh: the bash function through zsh's bashcompinit, as the AWS CLI's own zsh completion does;
 * one generated function for both shells.
 */
export function zshCompletion(): string {
  return `#compdef lkr
# lkr completion for zsh: eval "$(lkr completion zsh)"
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit }
autoload -U +X bashcompinit && bashcompinit
${bashCompletion().replace(/^# lkr completion for bash.*\n/, "")}`;
}
