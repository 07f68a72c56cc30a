import { capturedIo, type Io } from "../../cli/io.js";
import type { MainOptions } from "../../cli/main.js";

/** What one lkr run printed, and its exit code. */
export interface LkrRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where lkr works: the stack's table and topic (a World has both). */
export interface LkrTarget {
  readonly tableName: string;
  readonly topicArn: string;
}

/**
 * lkr in-process, the same main() that bin/lkr.mjs runs, against `target`'s table and topic (and
 * `endpoint`, when given), its output captured. main is imported at the call, after the spec has
 * pointed the SDK at moto.
 */
export async function lkrAgainst(
  target: LkrTarget,
  args: readonly string[],
  options: {
    readonly io?: Partial<Io>;
    readonly endpoint?: string;
    /** main()'s other options (e.g. an in-process member revoker). @default none */
    readonly main?: Omit<MainOptions, "io">;
  } = {},
): Promise<LkrRun> {
  const { main } = await import("../../cli/main.js");
  const run = capturedIo(options.io);
  const endpoint = options.endpoint === undefined ? [] : ["--endpoint-url", options.endpoint];
  const code = await main([...args, "--table", target.tableName, "--topic", target.topicArn, ...endpoint], {
    ...options.main,
    io: run.io,
  });
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
