import { ConfigError } from "./errors.js";
import type { ResponseMode } from "./plan.js";
import { DEFAULT_GUARDDUTY_POLICY, type GuardDutyPolicy } from "./sources/guardduty.js";

export const DEFAULT_QUARANTINE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
export const RESPONSE_MODES: readonly ResponseMode[] = ["enforce", "notify-only"];

/** The respond function's settings, read once at cold start. */
export interface RespondConfig {
  /** INCIDENT_TABLE_NAME (required). */
  readonly incidentTableName: string;
  /** ALERT_TOPIC_ARN (required). */
  readonly alertTopicArn: string;
  /** RESPONSE_MODE: `enforce` (default) or `notify-only`. */
  readonly mode: ResponseMode;
  /** QUARANTINE_POLICY_ARN, default AWS's AWSCompromisedKeyQuarantineV3. */
  readonly quarantinePolicyArn: string;
  /** EXEMPT_PRINCIPALS: comma-separated user/role names never changed; default none. */
  readonly exemptPrincipals: readonly string[];
  /** GUARDDUTY_CONTAIN_TYPES (comma-separated, `*` wildcard) and GUARDDUTY_CONTAIN_MIN_SEVERITY (0–10). */
  readonly guardDutyPolicy: GuardDutyPolicy;
  /** EVENT_BUS_NAME for the Incident Contained event; default `default`. */
  readonly eventBusName: string;
  /** STACK_NAME, shown in release commands; default `LeakedKeyResponder`. */
  readonly stackName: string;
  /** MEMBER_ROLE_NAME: role assumed in other accounts of the Organization; default none (own account only). */
  readonly memberRoleName: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} must be set`, name);
  return value;
}

function list(env: Env, name: string): string[] | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === "") return undefined;
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

export function parseRespondConfig(env: Env): RespondConfig {
  const mode = (env.RESPONSE_MODE?.trim() || "enforce") as ResponseMode;
  if (!RESPONSE_MODES.includes(mode)) {
    throw new ConfigError(
      `RESPONSE_MODE is "${env.RESPONSE_MODE}"; allowed: ${RESPONSE_MODES.join(", ")}`,
      "RESPONSE_MODE",
    );
  }
  const topic = required(env, "ALERT_TOPIC_ARN");
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$/.test(topic)) {
    throw new ConfigError(`ALERT_TOPIC_ARN is "${topic}"; expected an SNS topic ARN`, "ALERT_TOPIC_ARN");
  }
  const policyArn = env.QUARANTINE_POLICY_ARN?.trim() || DEFAULT_QUARANTINE_POLICY_ARN;
  if (!/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/.test(policyArn)) {
    throw new ConfigError(
      `QUARANTINE_POLICY_ARN is "${policyArn}"; expected a managed policy ARN`,
      "QUARANTINE_POLICY_ARN",
    );
  }
  const minSeverityText = env.GUARDDUTY_CONTAIN_MIN_SEVERITY?.trim();
  const minSeverity = minSeverityText ? Number(minSeverityText) : DEFAULT_GUARDDUTY_POLICY.containMinSeverity;
  if (!Number.isFinite(minSeverity) || minSeverity < 0 || minSeverity > 11) {
    throw new ConfigError(
      `GUARDDUTY_CONTAIN_MIN_SEVERITY is "${minSeverityText}"; allowed: a number from 0 to 10, or 11 to contain by type only`,
      "GUARDDUTY_CONTAIN_MIN_SEVERITY",
    );
  }
  const memberRoleName = env.MEMBER_ROLE_NAME?.trim() || undefined;
  if (memberRoleName !== undefined && !/^[\w+=,.@-]{1,64}$/.test(memberRoleName)) {
    throw new ConfigError(
      `MEMBER_ROLE_NAME is "${memberRoleName}"; expected an IAM role name`,
      "MEMBER_ROLE_NAME",
    );
  }
  return {
    incidentTableName: required(env, "INCIDENT_TABLE_NAME"),
    alertTopicArn: topic,
    mode,
    quarantinePolicyArn: policyArn,
    exemptPrincipals: list(env, "EXEMPT_PRINCIPALS") ?? [],
    guardDutyPolicy: {
      containTypePatterns:
        list(env, "GUARDDUTY_CONTAIN_TYPES") ?? DEFAULT_GUARDDUTY_POLICY.containTypePatterns,
      containMinSeverity: minSeverity,
    },
    eventBusName: env.EVENT_BUS_NAME?.trim() || "default",
    stackName: env.STACK_NAME?.trim() || "LeakedKeyResponder",
    memberRoleName,
  };
}
