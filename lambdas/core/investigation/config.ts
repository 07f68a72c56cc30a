import { IAM_PRINCIPAL_NAME_PATTERN, INVESTIGATE_ENV, REGION_PATTERN } from "../contract.js";
import { type Env, number, optional, optionalTopicArn, required, topicArn } from "../env.js";
import { ConfigError } from "../errors.js";
import { DEFAULT_CONFIRM_AFTER_MINUTES } from "./confirmation.js";

/** IAM and STS calls (and every global service) are recorded in us-east-1 only: always searched. */
export const GLOBAL_EVENTS_REGION = "us-east-1";
export const DEFAULT_LOOKBACK_HOURS = 72;
/** CloudTrail event history keeps 90 days. */
export const MAX_EVENT_HISTORY_DAYS = 90;
export const DEFAULT_MAX_SESSION_KEYS = 20;
export const DEFAULT_TOP_N = 10;

/** The investigate function's settings, read once at cold start. */
export interface InvestigateConfig {
  /** INCIDENT_TABLE_NAME (required). */
  readonly incidentTableName: string;
  /** ALERT_TOPIC_ARN (required). */
  readonly alertTopicArn: string;
  /** CHAT_TOPIC_ARN: AWS Chatbot's topic; default none. */
  readonly chatTopicArn?: string | undefined;
  /** us-east-1, then INVESTIGATION_REGIONS (comma-separated; default none). */
  readonly regions: readonly string[];
  /** LOOKBACK_HOURS before detection, default 72. */
  readonly lookbackHours: number;
  /** MAX_LOOKBACK_DAYS, default and at most 90. */
  readonly maxLookbackDays: number;
  /** MAX_SESSION_KEYS followed one level deep, default 20. */
  readonly maxSessionKeys: number;
  /** EVENT_BUS_NAME: the responder's bus, where persistence found is handed over; unset: not handed over. */
  readonly eventBusName?: string | undefined;
  /** CONFIRM_AFTER_MINUTES, default 30 (5 to 1440). */
  readonly confirmAfterMinutes: number;
  /** SCHEDULE_GROUP_NAME, SCHEDULE_ROLE_ARN and SCHEDULE_DEAD_LETTER_ARN; unset: containments are not checked. */
  readonly schedule?:
    | { readonly groupName: string; readonly roleArn: string; readonly deadLetterArn?: string | undefined }
    | undefined;
  /** MEMBER_ROLE_NAME: assumed to search a member account's CloudTrail; default none (the home account only). */
  readonly memberRoleName?: string | undefined;
}

/** us-east-1 first, then the configured regions in order, each once. */
export function parseRegions(value: string | undefined): string[] {
  const regions = [GLOBAL_EVENTS_REGION];
  for (const item of (value ?? "").split(",")) {
    const region = item.trim();
    if (region === "") continue;
    if (!REGION_PATTERN.test(region)) {
      throw new ConfigError(
        `${INVESTIGATE_ENV.regions} contains "${region}"; expected region names such as eu-west-1, comma-separated`,
        INVESTIGATE_ENV.regions,
      );
    }
    if (!regions.includes(region)) regions.push(region);
  }
  return regions;
}

export function parseInvestigateConfig(env: Env): InvestigateConfig {
  const alertTopicArn = topicArn(env, INVESTIGATE_ENV.alertTopicArn);
  const memberRoleName = env[INVESTIGATE_ENV.memberRoleName]?.trim() || undefined;
  if (memberRoleName !== undefined && !IAM_PRINCIPAL_NAME_PATTERN.test(memberRoleName)) {
    throw new ConfigError(
      `${INVESTIGATE_ENV.memberRoleName} is "${memberRoleName}"; expected an IAM role name`,
      INVESTIGATE_ENV.memberRoleName,
    );
  }
  return {
    ...(memberRoleName !== undefined ? { memberRoleName } : {}),
    incidentTableName: required(env, INVESTIGATE_ENV.incidentTableName),
    alertTopicArn,
    chatTopicArn: optionalTopicArn(env, INVESTIGATE_ENV.chatTopicArn),
    regions: parseRegions(env[INVESTIGATE_ENV.regions]),
    lookbackHours: number(env, INVESTIGATE_ENV.lookbackHours, DEFAULT_LOOKBACK_HOURS, {
      min: 1,
      max: MAX_EVENT_HISTORY_DAYS * 24,
      integer: true,
    }),
    maxLookbackDays: number(env, INVESTIGATE_ENV.maxLookbackDays, MAX_EVENT_HISTORY_DAYS, {
      min: 1,
      max: MAX_EVENT_HISTORY_DAYS,
      integer: true,
    }),
    maxSessionKeys: number(env, INVESTIGATE_ENV.maxSessionKeys, DEFAULT_MAX_SESSION_KEYS, {
      min: 0,
      max: 100,
      integer: true,
    }),
    eventBusName: optional(env, INVESTIGATE_ENV.eventBusName),
    confirmAfterMinutes: number(env, INVESTIGATE_ENV.confirmAfterMinutes, DEFAULT_CONFIRM_AFTER_MINUTES, {
      min: 5,
      max: 1440,
      integer: true,
    }),
    schedule: scheduleOf(env),
  };
}

/** The schedule settings: the group and the role together, or neither (no containment checks). */
function scheduleOf(env: Env): InvestigateConfig["schedule"] {
  const groupName = optional(env, INVESTIGATE_ENV.scheduleGroupName);
  const roleArn = optional(env, INVESTIGATE_ENV.scheduleRoleArn);
  if (groupName === undefined && roleArn === undefined) return undefined;
  if (groupName === undefined || roleArn === undefined) {
    const missing =
      groupName === undefined ? INVESTIGATE_ENV.scheduleGroupName : INVESTIGATE_ENV.scheduleRoleArn;
    throw new ConfigError(
      `${missing} is unset while ${INVESTIGATE_ENV.scheduleGroupName} and ${INVESTIGATE_ENV.scheduleRoleArn} go together; set both, or neither (no containment checks)`,
      missing,
    );
  }
  return { groupName, roleArn, deadLetterArn: optional(env, INVESTIGATE_ENV.scheduleDeadLetterArn) };
}
