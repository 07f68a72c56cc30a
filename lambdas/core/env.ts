import { SNS_TOPIC_ARN_PATTERN } from "./contract.js";
import { ConfigError } from "./errors.js";

/** A function's environment, as `process.env` gives it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The trimmed value, or undefined when unset or blank. */
export function optional(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** The trimmed value; unset or blank fails the cold start. */
export function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(`${name} must be set`, name);
  return value;
}

/** Comma-separated items, trimmed, blanks dropped; undefined when unset or blank. */
export function list(env: Env, name: string): string[] | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === "") return undefined;
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** The value when it is one of `allowed`, `fallback` when unset or blank. */
export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = (optional(env, name) ?? fallback) as T;
  if (!allowed.includes(value)) {
    throw new ConfigError(`${name} is "${env[name]}"; allowed: ${allowed.join(", ")}`, name);
  }
  return value;
}

/** `value` (already read from `name`) when it matches `pattern`; else fails saying what was expected. */
export function matching(name: string, value: string, pattern: RegExp, expected: string): string {
  if (!pattern.test(value)) throw new ConfigError(`${name} is "${value}"; expected ${expected}`, name);
  return value;
}

export interface NumberRange {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. @default false */
  readonly integer?: boolean;
  /** What the error says is allowed. @default "an integer from <min> to <max>" or "a number from <min> to <max>" */
  readonly allowed?: string;
}

/** A number within the range, `fallback` when unset or blank. */
export function number(env: Env, name: string, fallback: number, range: NumberRange): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const valid = range.integer ? Number.isInteger(n) : Number.isFinite(n);
  if (!valid || n < range.min || n > range.max) {
    const allowed =
      range.allowed ?? `${range.integer ? "an integer" : "a number"} from ${range.min} to ${range.max}`;
    throw new ConfigError(`${name} is "${raw}"; allowed: ${allowed}`, name);
  }
  return n;
}

/** An SNS topic ARN when set; undefined when unset or blank. */
export function optionalTopicArn(env: Env, name: string): string | undefined {
  const value = optional(env, name);
  return value === undefined ? undefined : matching(name, value, SNS_TOPIC_ARN_PATTERN, "an SNS topic ARN");
}

/** A required SNS topic ARN. */
export function topicArn(env: Env, name: string): string {
  return matching(name, required(env, name), SNS_TOPIC_ARN_PATTERN, "an SNS topic ARN");
}
