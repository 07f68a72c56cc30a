import { ConfigProblemsError, InvalidSettingsError } from "./props-check.js";

/** How the CDK reports what `node.addValidation` checks found when the app synthesizes. */
const CDK_VALIDATION_HEADING = "Validation failed with the following errors:";

/** Problems collected across the settings and the constructs, so one synth reports them all. */
export class ConfigProblems {
  private readonly list: string[] = [];

  push(...problems: readonly string[]): void {
    this.list.push(...problems);
  }

  isEmpty(): boolean {
    return this.list.length === 0;
  }

  /** Builds with `make`; a construct's config problems are kept (and undefined returned), any other error thrown. */
  build<T>(make: () => T): T | undefined {
    try {
      return make();
    } catch (error) {
      if (!(error instanceof ConfigProblemsError)) throw error;
      this.list.push(...error.problems);
      return undefined;
    }
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new InvalidSettingsError(this.list);
  }
}

/** The one-line problems an error stands for, if it is a configuration error (ours or a CDK validation). */
export function configProblemsOf(error: unknown): readonly string[] | undefined {
  if (error instanceof ConfigProblemsError) return error.problems;
  if (error instanceof Error && error.message.startsWith(CDK_VALIDATION_HEADING)) {
    return error.message
      .slice(CDK_VALIDATION_HEADING.length)
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "");
  }
  return undefined;
}

/**
 * Runs the app; a configuration error is printed as one clean line per problem (no stack trace:
 * the trace is of our code, the mistake is in the settings) and the process exits non-zero.
 * Any other error is a bug and keeps its stack trace.
 */
export function exitOnConfigProblems(
  run: (problems: ConfigProblems) => void,
  stderr: (text: string) => void = (text) => process.stderr.write(text),
): void {
  try {
    run(new ConfigProblems());
  } catch (error) {
    const problems = configProblemsOf(error);
    if (problems === undefined) throw error;
    stderr(
      `leaked-key-responder: ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}\n` +
        problems.map((p) => `error: ${p}\n`).join(""),
    );
    process.exitCode = 1;
  }
}
