import { Token } from "aws-cdk-lib";

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
    throw new Error(`Invalid ${this.construct} props:\n- ${this.problems.join("\n- ")}`);
  }
}
