import { ConfigError } from "../errors.js";

/** IAM and STS calls (and every global service) are recorded in us-east-1 only: always searched. */
export const GLOBAL_EVENTS_REGION = "us-east-1";
export const DEFAULT_LOOKBACK_HOURS = 72;
/** CloudTrail event history keeps 90 days. */
export const MAX_EVENT_HISTORY_DAYS = 90;
export const DEFAULT_MAX_SESSION_KEYS = 20;
export const DEFAULT_TOP_N = 10;

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The investigate function's settings, read once at cold start. */
export interface InvestigateConfig {
  /** INCIDENT_TABLE_NAME (required). */
  readonly incidentTableName: string;
  /** ALERT_TOPIC_ARN (required). */
  readonly alertTopicArn: string;
  /** us-east-1, then INVESTIGATION_REGIONS (comma-separated; default none). */
  readonly regions: readonly string[];
  /** LOOKBACK_HOURS before detection, default 72. */
  readonly lookbackHours: number;
  /** MAX_LOOKBACK_DAYS, default and at most 90. */
  readonly maxLookbackDays: number;
  /** MAX_SESSION_KEYS followed one level deep, default 20. */
  readonly maxSessionKeys: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} must be set`, name);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} is "${raw}"; allowed: an integer from ${min} to ${max}`, name);
  }
  return n;
}

/** us-east-1 first, then the configured regions in order, each once. */
export function parseRegions(value: string | undefined): string[] {
  const regions = [GLOBAL_EVENTS_REGION];
  for (const item of (value ?? "").split(",")) {
    const region = item.trim();
    if (region === "") continue;
    if (!REGION_PATTERN.test(region)) {
      throw new ConfigError(
        `INVESTIGATION_REGIONS contains "${region}"; expected region names such as eu-west-1, comma-separated`,
        "INVESTIGATION_REGIONS",
      );
    }
    if (!regions.includes(region)) regions.push(region);
  }
  return regions;
}

export function parseInvestigateConfig(env: Env): InvestigateConfig {
  const topic = required(env, "ALERT_TOPIC_ARN");
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$/.test(topic)) {
    throw new ConfigError(`ALERT_TOPIC_ARN is "${topic}"; expected an SNS topic ARN`, "ALERT_TOPIC_ARN");
  }
  return {
    incidentTableName: required(env, "INCIDENT_TABLE_NAME"),
    alertTopicArn: topic,
    regions: parseRegions(env.INVESTIGATION_REGIONS),
    lookbackHours: integer(env, "LOOKBACK_HOURS", DEFAULT_LOOKBACK_HOURS, 1, MAX_EVENT_HISTORY_DAYS * 24),
    maxLookbackDays: integer(env, "MAX_LOOKBACK_DAYS", MAX_EVENT_HISTORY_DAYS, 1, MAX_EVENT_HISTORY_DAYS),
    maxSessionKeys: integer(env, "MAX_SESSION_KEYS", DEFAULT_MAX_SESSION_KEYS, 0, 100),
  };
}
