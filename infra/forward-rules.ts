import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import type { ForwardedPattern } from "./forwarding.js";
import { deadLetterQueue } from "./function-parts.js";

export interface ForwardRulesProps {
  /** The patterns forwarded, one rule each (construct id `p.id`, state `p.state`). */
  readonly patterns: readonly ForwardedPattern[];
  /** The bus they go to (another account or region). */
  readonly centralBusArn: string;
  /** The rules' one role's name (the central bus admits honey key use by it). @default - a name CloudFormation generates */
  readonly roleName?: string;
  /** The role's description. */
  readonly roleDescription: string;
}

/**
 * One rule per forwarded pattern on the default bus of `scope`'s account and region, each targeting
 * the central bus through one role EventBridge assumes, with a DLQ in the same region (construct ids
 * `CentralBus`, `ForwardRole`, `ForwardDeadLetterQueue` and the patterns' ids, directly under `scope`).
 */
export function forwardRules(
  scope: Construct,
  props: ForwardRulesProps,
): { readonly role: iam.Role; readonly deadLetterQueue: sqs.Queue; readonly rules: readonly events.Rule[] } {
  const bus = events.EventBus.fromEventBusArn(scope, "CentralBus", props.centralBusArn);
  const role = new iam.Role(scope, "ForwardRole", {
    roleName: props.roleName,
    assumedBy: new iam.ServicePrincipal("events.amazonaws.com"),
    description: props.roleDescription,
  });
  const dlq = deadLetterQueue(scope, "ForwardDeadLetterQueue");
  const rules = props.patterns.map((p) => {
    const rule = new events.Rule(scope, p.id, {
      description: p.description,
      eventPattern: p.pattern,
      targets: [new targets.EventBus(bus, { role, deadLetterQueue: dlq })],
    });
    // Honey key use: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, so read-only calls are forwarded too.
    if (p.state !== undefined) (rule.node.defaultChild as events.CfnRule).state = p.state;
    return rule;
  });
  return { role, deadLetterQueue: dlq, rules };
}
