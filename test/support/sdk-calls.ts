/** A mocked client's calls as `{ name, input }` (command name without `Command`), noting each as `iam:<name>`. */
export function callsOf(
  mock: { calls(): readonly { args: readonly unknown[] }[] },
  seen: Set<string>,
): { name: string; input: unknown }[] {
  const calls = mock.calls().map((c) => {
    const command = c.args[0] as { constructor: { name: string }; input: unknown };
    return { name: command.constructor.name.replace(/Command$/, ""), input: command.input };
  });
  for (const c of calls) seen.add(`iam:${c.name}`);
  return calls;
}
