import { Token } from "aws-cdk-lib";

/**
 * Configuration that cannot be deployed, with every problem found (each one line naming the
 * setting, the value and what is allowed). infra/app.ts prints the lines, not a stack trace.
 */
export class ConfigProblemsError extends Error {
  override readonly name: string = "ConfigProblemsError";
  constructor(
    heading: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${heading}:\n- ${problems.join("\n- ")}`, options);
  }
}

/** A construct's props are wrong (thrown by {@link PropsCheck}). */
export class InvalidPropsError extends ConfigProblemsError {
  override readonly name = "InvalidPropsError";
  constructor(construct: string, problems: readonly string[]) {
    super(`Invalid ${construct} props`, problems);
  }
}

/** Context keys or `LKR_*` variables are wrong (thrown by infra/settings.ts). */
export class InvalidSettingsError extends ConfigProblemsError {
  override readonly name = "InvalidSettingsError";
  constructor(problems: readonly string[]) {
    super("Invalid settings", problems);
  }
}

/**
 * Collects what is wrong with a construct's props and throws once naming all of it (as
 * aws-solutions-constructs' CheckProps does), so a bad deployment config is fixed in one round.
 * Unset values and unresolved tokens are skipped: they are known only at deploy time.
 */
export class PropsCheck {
  private readonly problems: string[] = [];

  constructor(private readonly construct: string) {}

  /** Records `problem(value)` when a set, resolved value fails `valid`. */
  value<T extends string | number>(
    value: T | undefined,
    valid: (value: T) => boolean,
    problem: (value: T) => string,
  ): this {
    if (value !== undefined && !Token.isUnresolved(value) && !valid(value))
      this.problems.push(problem(value));
    return this;
  }

  /** Records `problem(item)` for every set, resolved item that fails `valid`. */
  each<T extends string | number>(
    values: readonly T[] | undefined,
    valid: (value: T) => boolean,
    problem: (value: T) => string,
  ): this {
    for (const value of values ?? []) this.value(value, valid, problem);
    return this;
  }

  /** Records a problem found by a check of its own (one that resolves tokens, say), if there is one. */
  problem(problem: string | undefined): this {
    if (problem !== undefined) this.problems.push(problem);
    return this;
  }

  /** Throws one error listing every problem recorded, each naming the prop, the value and what is allowed. */
  throwIfInvalid(): void {
    if (this.problems.length === 0) return;
    throw new InvalidPropsError(this.construct, this.problems);
  }
}
