import { exemptNames } from "../config.js";
import { AUDIT_ENV } from "../contract.js";
import { type Env, list, number, oneOf, optional, optionalTopicArn, required, topicArn } from "../env.js";
import { ConfigError } from "../errors.js";
import type { EnforcementSettings } from "./audit.js";
import { ALERT_MODES, type AlertMode } from "./digest.js";
import { ENFORCE_ALLOWED, type EnforcementPolicy, parseEnforcementPolicy } from "./enforcement.js";
import { type AuditThresholds, DEFAULT_THRESHOLDS } from "./rules.js";

export const DEFAULT_TOP_FINDINGS = 10;
export const DEFAULT_AUDIT_CONCURRENCY = 8;

/** The audit function's settings, read once at cold start. */
export interface AuditConfig {
  readonly incidentTableName: string;
  readonly alertTopicArn: string;
  /** CHAT_TOPIC_ARN: AWS Chatbot's topic; default none. */
  readonly chatTopicArn?: string | undefined;
  readonly thresholds: AuditThresholds;
  /** AUDIT_ALERT_MODE: `all` (default) or `change-only`. */
  readonly mode: AlertMode;
  /** AUDIT_ENFORCE (days of notice per kind; default: off) and EXEMPT_PRINCIPALS (never announced). */
  readonly enforcement: EnforcementSettings;
  /** EVENT_BUS_NAME: the stack's ResponderBus; unset: enforcement stays off (nothing is announced). */
  readonly eventBusName: string | undefined;
  /** MEMBER_ROLE_NAME: set in Organization deployments, every active account is audited through it; unset: this account only. */
  readonly memberRoleName?: string | undefined;
}

function enforcementPolicy(env: Env): EnforcementPolicy {
  const text = optional(env, AUDIT_ENV.enforce);
  if (text === undefined) return {};
  try {
    return parseEnforcementPolicy(text);
  } catch (error) {
    throw new ConfigError(
      `${AUDIT_ENV.enforce} is "${text}": ${error instanceof Error ? error.message : String(error)}; allowed: ${ENFORCE_ALLOWED}`,
      AUDIT_ENV.enforce,
      { cause: error },
    );
  }
}

const days = { min: 1, max: 3650, integer: true } as const;

export function parseAuditConfig(env: Env): AuditConfig {
  return {
    incidentTableName: required(env, AUDIT_ENV.incidentTableName),
    alertTopicArn: topicArn(env, AUDIT_ENV.alertTopicArn),
    chatTopicArn: optionalTopicArn(env, AUDIT_ENV.chatTopicArn),
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
    enforcement: {
      policy: enforcementPolicy(env),
      exemptPrincipals: exemptNames(list(env, AUDIT_ENV.exemptPrincipals) ?? []),
    },
    eventBusName: optional(env, AUDIT_ENV.eventBusName),
    memberRoleName: optional(env, AUDIT_ENV.memberRoleName),
  };
}
