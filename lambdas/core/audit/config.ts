import { AUDIT_ENV } from "../contract.js";
import { type Env, number, oneOf, required, topicArn } from "../env.js";
import { ALERT_MODES, type AlertMode } from "./digest.js";
import { type AuditThresholds, DEFAULT_THRESHOLDS } from "./rules.js";

export const DEFAULT_TOP_FINDINGS = 10;
export const DEFAULT_AUDIT_CONCURRENCY = 8;

/** The audit function's settings, read once at cold start. */
export interface AuditConfig {
  readonly incidentTableName: string;
  readonly alertTopicArn: string;
  readonly thresholds: AuditThresholds;
  /** AUDIT_ALERT_MODE: `all` (default) or `change-only`. */
  readonly mode: AlertMode;
}

const days = { min: 1, max: 3650, integer: true } as const;

export function parseAuditConfig(env: Env): AuditConfig {
  return {
    incidentTableName: required(env, AUDIT_ENV.incidentTableName),
    alertTopicArn: topicArn(env, AUDIT_ENV.alertTopicArn),
    thresholds: {
      maxKeyAgeDays: number(env, AUDIT_ENV.maxKeyAgeDays, DEFAULT_THRESHOLDS.maxKeyAgeDays, days),
      unusedDays: number(env, AUDIT_ENV.unusedDays, DEFAULT_THRESHOLDS.unusedDays, days),
      newKeyGraceDays: number(env, AUDIT_ENV.newKeyGraceDays, DEFAULT_THRESHOLDS.newKeyGraceDays, {
        ...days,
        min: 0,
      }),
      rootRecentDays: number(env, AUDIT_ENV.rootRecentDays, DEFAULT_THRESHOLDS.rootRecentDays, days),
    },
    mode: oneOf(env, AUDIT_ENV.alertMode, ALERT_MODES, "all"),
  };
}
