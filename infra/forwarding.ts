import type { EventPattern } from "aws-cdk-lib/aws-events";
import { HONEY_USE_RULE, honeyUsePattern } from "./honey-keys.js";
import { type Lane, SIGNAL_RULES } from "./signal-rules.js";

/** A signal pattern forwarded to the central bus, under the construct id of its forwarding rule. */
export interface ForwardedPattern {
  /** Construct id of the forwarding rule (part of the deployed contract). */
  readonly id: string;
  /** The signal rule of the home region it mirrors (its construct id in SIGNAL_RULES). */
  readonly ruleId: string;
  /** The lane its events take at the centre. */
  readonly lane: Lane;
  readonly description: string;
  readonly pattern: EventPattern;
  /** The forwarding rule's state, when not plain ENABLED (CfnRule `State`). @default - ENABLED */
  readonly state?: string;
}

/** The signal rules named, as forwarding patterns (same pattern, so nothing is forwarded that the centre would drop). */
function forwardingOf(ruleIds: readonly (keyof typeof SIGNAL_RULES)[]): ForwardedPattern[] {
  return ruleIds.map((id) => {
    const rule = SIGNAL_RULES[id];
    if (rule === undefined) throw new Error(`no signal rule ${id}`);
    return {
      id: `Forward${id}`,
      ruleId: id,
      lane: rule.lane,
      description: `Forward to the central bus: ${rule.description}`,
      pattern: rule.pattern,
    };
  });
}

/**
 * What a regional forwarder stack (the central account, every region but the home one) sends to
 * the central bus. GuardDuty is regional, and its delegated administrator already receives every
 * member's findings on its own default bus in each region: forwarded from there, never from members.
 * One exported list: a pattern added here is forwarded from every region. Its sources must be named
 * (the central bus admits them by name); honey key use, whose sources cannot be, is added by
 * `regionalForwardedPatterns`.
 */
export const REGIONAL_FORWARDED_PATTERNS: readonly ForwardedPattern[] = forwardingOf([
  "GuardDutyAccessKeyRule",
]);

/**
 * What every member account forwards from its own default bus in us-east-1 to the central bus:
 * - Trusted Advisor: its events reach only the account's own bus in us-east-1.
 * - CloudTrail IAM key events and the tamper watch: IAM is global, its CloudTrail events reach
 *   EventBridge only in us-east-1, of the account that made the call (an Organization trail makes
 *   them exist in every member, but delivers to S3/CloudWatch Logs minutes later, not to the central bus).
 * - Health RISK events: "Any EventBridge rules that you create can only receive notifications for
 *   your AWS account" (AWS Health User Guide, Monitoring events with EventBridge); the organizational
 *   view aggregates them in the console and API only. So members forward them.
 */
export const MEMBER_FORWARDED_PATTERNS: readonly ForwardedPattern[] = forwardingOf([
  "HealthRiskRule",
  "TrustedAdvisorExposedKeysRule",
  "CreateAccessKeyRule",
  "ReactivateAccessKeyRule",
  "FencePolicyDetachedRule",
  "RevokePolicyDeletedRule",
  "PrincipalTagChangeRule",
]);

/**
 * Honey key use (#15), forwarded from every regional forwarder: a honey key is tried in whatever
 * region the finder picks, and CloudTrail delivers a call to EventBridge only in the region it was
 * made in. Same pattern and state as the home rule (read-only calls included). Its sources are
 * every `aws.*` service, so the central bus admits it by a separate statement (the forwarder roles,
 * CloudTrail's detail-type only), not by source name: see `orgBusPolicy`.
 */
export function honeyForwardedPattern(path?: string): ForwardedPattern {
  return {
    id: `Forward${HONEY_USE_RULE.id}`,
    ruleId: HONEY_USE_RULE.id,
    lane: HONEY_USE_RULE.lane,
    description: `Forward to the central bus: ${HONEY_USE_RULE.description}`,
    pattern: honeyUsePattern(path),
    state: HONEY_USE_RULE.state,
  };
}

/** Everything a regional forwarder sends: the named-source patterns and honey key use under `honeyKeyPath`. */
export function regionalForwardedPatterns(honeyKeyPath?: string): ForwardedPattern[] {
  return [...REGIONAL_FORWARDED_PATTERNS, honeyForwardedPattern(honeyKeyPath)];
}

/** Every source the central bus accepts from the Organization (its policy's `events:source` condition). */
export function forwardedSources(
  patterns: readonly ForwardedPattern[] = [...REGIONAL_FORWARDED_PATTERNS, ...MEMBER_FORWARDED_PATTERNS],
): string[] {
  const sources = patterns.flatMap((p) => {
    const listed: unknown[] = p.pattern.source ?? [];
    if (listed.length === 0 || !listed.every((s): s is string => typeof s === "string")) {
      throw new Error(
        `forwarded pattern ${p.id} must name its sources literally (the central bus policy admits them by name), got ${JSON.stringify(p.pattern.source)}`,
      );
    }
    return listed;
  });
  return [...new Set(sources)].sort();
}
