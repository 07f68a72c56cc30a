import type { EventPattern } from "aws-cdk-lib/aws-events";
import {
  AUDIT_ENFORCEMENT_DETAIL_TYPE,
  AUDIT_ENFORCEMENT_SOURCE,
} from "../lambdas/core/audit/enforcement.js";
import { RESPONDER_EVENT_SOURCE } from "../lambdas/core/investigation/contained-event.js";
import { PERSISTENCE_DETAIL_TYPE } from "../lambdas/core/investigation/persistence.js";
import { DRILL_TAG } from "../lambdas/core/plan.js";
import {
  AWS_INTERNAL_USER_AGENT,
  AWS_INTERNAL_USER_AGENT_PREFIX,
  AWS_QUARANTINE_EVENT_NAMES,
} from "../lambdas/core/sources/aws-quarantine.js";
import { CLOUDTRAIL_DETAIL_TYPE, IAM_SOURCE } from "../lambdas/core/sources/cloudtrail.js";
import { DRILL_DETAIL_TYPE, DRILL_SOURCE } from "../lambdas/core/sources/drill.js";
import { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE } from "../lambdas/core/sources/guardduty.js";
import { IAM_ATTACK_SEQUENCE_PREFIX } from "../lambdas/core/sources/guardduty-attack-sequence.js";
import {
  HEALTH_DETAIL_TYPE,
  HEALTH_KEY_EVENT_SEVERITY,
  HEALTH_SOURCE,
} from "../lambdas/core/sources/health.js";
import {
  INLINE_DELETE_EVENT_NAMES,
  POLICY_DETACH_EVENT_NAMES,
  REVOKE_POLICY_PREFIX,
  TAG_EVENT_NAMES,
} from "../lambdas/core/sources/iam-watch.js";
import {
  EXPOSED_KEYS_CHECK,
  TRUSTED_ADVISOR_DETAIL_TYPE,
  TRUSTED_ADVISOR_SOURCE,
} from "../lambdas/core/sources/trusted-advisor.js";

/**
 * Which way a rule's events reach the respond function: `containment` invokes it directly (its
 * reserved concurrency is theirs); `informational` goes through the informational queue, which the
 * function drains with at most two concurrent batches, so a flood of those never delays a containment.
 */
export type Lane = "containment" | "informational";

/** A successful IAM API call as CloudTrail reports it to EventBridge (us-east-1 only, needs a trail). */
function iamCallPattern(
  eventNames: readonly string[],
  requestParameters?: Record<string, unknown>,
): EventPattern {
  return {
    source: [IAM_SOURCE],
    detailType: [CLOUDTRAIL_DETAIL_TYPE],
    detail: {
      eventSource: ["iam.amazonaws.com"],
      eventName: [...eventNames],
      ...(requestParameters ? { requestParameters } : {}),
      errorCode: [{ exists: false }],
    },
  };
}

/**
 * One EventBridge rule per AWS signal on the default bus, each as narrow as the signal itself, written in EventBridge's
 * own pattern syntax (so tests can load them into an emulator as they are). The construct ids
 * (keys) are part of the deployed contract: renaming one replaces the rule.
 */
export const SIGNAL_RULES: Readonly<
  Record<string, { description: string; pattern: EventPattern; lane: Lane }>
> = {
  HealthRiskRule: {
    lane: "containment",
    description: "AWS Health RISK events about exposed or compromised access keys",
    pattern: {
      source: [HEALTH_SOURCE],
      detailType: [HEALTH_DETAIL_TYPE],
      detail: { service: ["RISK"], eventTypeCode: Object.keys(HEALTH_KEY_EVENT_SEVERITY) },
    },
  },
  TrustedAdvisorExposedKeysRule: {
    lane: "containment",
    description: "Trusted Advisor 'Exposed Access Keys' items in ERROR",
    pattern: {
      source: [TRUSTED_ADVISOR_SOURCE],
      detailType: [TRUSTED_ADVISOR_DETAIL_TYPE],
      detail: { "check-name": [EXPOSED_KEYS_CHECK], status: ["ERROR"] },
    },
  },
  GuardDutyAccessKeyRule: {
    lane: "containment",
    description: "GuardDuty IAMUser findings whose resource is an access key",
    pattern: {
      source: [GUARDDUTY_SOURCE],
      detailType: [GUARDDUTY_DETAIL_TYPE],
      detail: { resource: { resourceType: ["AccessKey"] }, type: [{ wildcard: "*:IAMUser/*" }] },
    },
  },
  GuardDutyAttackSequenceRule: {
    lane: "containment",
    description: "GuardDuty Extended Threat Detection: IAM attack sequences (every access key they name)",
    pattern: {
      source: [GUARDDUTY_SOURCE],
      detailType: [GUARDDUTY_DETAIL_TYPE],
      detail: { type: [{ prefix: IAM_ATTACK_SEQUENCE_PREFIX }] },
    },
  },
  AwsQuarantineRule: {
    // The earliest signal: AWS's own quarantine call, about a minute before its Health event. Only
    // AWS's user agents match, so the responder's own attachments (its SDK) never do; the function
    // keeps only AWS's quarantine policies and also excludes the responder's roles.
    lane: "containment",
    description:
      "CloudTrail: AWS quarantined a user whose key it found exposed (us-east-1 only, needs a trail)",
    pattern: {
      source: [IAM_SOURCE],
      detailType: [CLOUDTRAIL_DETAIL_TYPE],
      detail: {
        eventSource: ["iam.amazonaws.com"],
        eventName: [...AWS_QUARANTINE_EVENT_NAMES],
        userAgent: [{ prefix: AWS_INTERNAL_USER_AGENT_PREFIX }, AWS_INTERNAL_USER_AGENT],
        errorCode: [{ exists: false }],
      },
    },
  },
  CreateAccessKeyRule: {
    // Anyone allowed CreateAccessKey generates these (the plan only notifies on them).
    lane: "informational",
    description: "CloudTrail: an access key was created (us-east-1 only, needs a trail)",
    pattern: iamCallPattern(["CreateAccessKey"]),
  },
  ReactivateAccessKeyRule: {
    // Re-contains an open incident's key: containment, though anyone allowed UpdateAccessKey sends these.
    lane: "containment",
    description: "CloudTrail: an access key was switched back to Active",
    pattern: iamCallPattern(["UpdateAccessKey"], { status: ["Active"] }),
  },
  // The tamper watch: calls that undo a containment, or touch the responder's tags. The function
  // tells the fence policies and the responder's own calls apart (IAM write calls are few).
  FencePolicyDetachedRule: {
    description: "CloudTrail: a managed policy was detached from a user or role (tamper watch)",
    lane: "containment",
    pattern: iamCallPattern(POLICY_DETACH_EVENT_NAMES),
  },
  RevokePolicyDeletedRule: {
    description: "CloudTrail: the responder's session revoke policy was deleted (tamper watch)",
    lane: "containment",
    pattern: iamCallPattern(INLINE_DELETE_EVENT_NAMES, { policyName: [{ prefix: REVOKE_POLICY_PREFIX }] }),
  },
  PrincipalTagChangeRule: {
    description: "CloudTrail: a user's or role's tags changed (responder tags: tamper watch and alert)",
    lane: "containment",
    pattern: iamCallPattern(TAG_EVENT_NAMES),
  },
};

/**
 * Drill events, on the responder's own bus (only the stack's roles and the operator roles may put
 * events there). The construct id is part of the deployed contract.
 */
export const DRILL_RULE = {
  id: "DrillRule",
  lane: "informational" satisfies Lane,
  description: `Responder drills (acted on only for users tagged ${DRILL_TAG}=true)`,
  pattern: { source: [DRILL_SOURCE], detailType: [DRILL_DETAIL_TYPE] } satisfies EventPattern,
} as const;

/**
 * Persistence the investigation found (on the responder's bus, put only by the investigate role):
 * a key the attacker made is contained like a leaked one, so it takes the containment lane.
 */
export const PERSISTENCE_RULE = {
  id: "PersistenceRule",
  lane: "containment" satisfies Lane,
  description:
    "Persistence found by the investigation (keys, users, login profiles, roles the leaked key made or used)",
  pattern: { source: [RESPONDER_EVENT_SOURCE], detailType: [PERSISTENCE_DETAIL_TYPE] } satisfies EventPattern,
} as const;

/**
 * The key hygiene audit's enforcement signals, on the responder's own bus: the respond function
 * contains the key after checking the audit's stored announcement. The construct id is part of the
 * deployed contract.
 */
export const AUDIT_ENFORCEMENT_RULE = {
  id: "AuditEnforcementRule",
  lane: "informational" satisfies Lane,
  description: "Key hygiene enforcement: announced keys whose date has passed",
  pattern: {
    source: [AUDIT_ENFORCEMENT_SOURCE],
    detailType: [AUDIT_ENFORCEMENT_DETAIL_TYPE],
  } satisfies EventPattern,
} as const;

/** The pattern as EventBridge stores it (`detail-type`, no undefined keys). */
export function toWirePattern(pattern: EventPattern): Record<string, unknown> {
  const { detailType, ...rest } = pattern;
  return Object.fromEntries(
    Object.entries({ ...rest, "detail-type": detailType }).filter(([, value]) => value !== undefined),
  );
}
