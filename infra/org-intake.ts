import { Aws, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import { Construct } from "constructs";
import {
  type ForwardedPattern,
  forwardedSources,
  MEMBER_FORWARDED_PATTERNS,
  REGIONAL_FORWARDED_PATTERNS,
} from "./forwarding.js";
import { lambdaTarget, queueTarget } from "./function-parts.js";
import type { LeakedKeyResponder } from "./leaked-key-responder.js";

export interface OrganizationIntakeProps {
  /** The central responder whose functions handle the forwarded signals. */
  readonly responder: LeakedKeyResponder;
  /** The Organization (`o-…`) whose accounts may put forwarded signals on the bus. */
  readonly organizationId: string;
  /** The patterns forwarded to the bus (regional forwarders and member accounts). @default - REGIONAL_FORWARDED_PATTERNS and MEMBER_FORWARDED_PATTERNS */
  readonly patterns?: readonly ForwardedPattern[];
}

/** The central bus's name: fixed by the central stack's name, so forwarders and the member template can name its ARN. */
export function centralBusName(centralStackName: string): string {
  return `${centralStackName}-org-signals`;
}

/**
 * The central bus: AWS's own signals forwarded by the regional forwarders and the member accounts
 * arrive here (cross-region and cross-account EventBridge delivery) and take the same lanes as on the
 * home region's default bus. Its policy admits `PutEvents` only from principals of the Organization and
 * only for the forwarded sources (all `aws.*`, which no caller can put itself: only EventBridge rules
 * forward them), so no custom event is ever accepted here.
 */
export class OrganizationIntake extends Construct {
  readonly bus: events.EventBus;
  /** The bus's ARN, from its literal name (the forwarders and the member template name it). */
  readonly busArn: string;
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: OrganizationIntakeProps) {
    super(scope, id);
    const patterns = props.patterns ?? [...REGIONAL_FORWARDED_PATTERNS, ...MEMBER_FORWARDED_PATTERNS];
    const name = centralBusName(Stack.of(this).stackName);
    this.bus = new events.EventBus(this, "OrgSignalBus", {
      eventBusName: name,
      description: "leaked-key-responder: AWS signals forwarded from the Organization's accounts and regions",
    });
    this.busArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${name}`;
    (this.bus.node.defaultChild as events.CfnEventBus).policy = orgBusPolicy(
      this.busArn,
      props.organizationId,
      forwardedSources(patterns),
    );
    const r = props.responder;
    this.rules = patterns.map(
      (p) =>
        new events.Rule(this, `Org${p.ruleId}`, {
          description: `From the Organization: ${SIGNAL_DESCRIPTION(p)}`,
          eventBus: this.bus,
          eventPattern: p.pattern,
          targets: [
            p.lane === "containment"
              ? lambdaTarget(r.respondFunction, r.deadLetterQueue)
              : queueTarget(r.informationalQueue, r.deadLetterQueue),
          ],
        }),
    );
  }
}

const SIGNAL_DESCRIPTION = (p: ForwardedPattern) =>
  p.description.replace(/^Forward to the central bus: /, "");

/**
 * The central bus's resource policy: principals of the Organization may put the forwarded sources;
 * everyone else, and every other source, is denied whatever their identity policies say.
 */
export function orgBusPolicy(busArn: string, organizationId: string, sources: readonly string[]) {
  const put = "events:PutEvents";
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OrganizationForwardsSignals",
        Effect: "Allow",
        Principal: "*",
        Action: put,
        Resource: busArn,
        Condition: {
          StringEquals: { "aws:PrincipalOrgID": organizationId },
          "ForAllValues:StringEquals": { "events:source": [...sources] },
        },
      },
      {
        Sid: "NoOneOutsideTheOrganization",
        Effect: "Deny",
        Principal: "*",
        Action: put,
        Resource: busArn,
        Condition: { StringNotEquals: { "aws:PrincipalOrgID": organizationId } },
      },
      {
        Sid: "OnlyForwardedSources",
        Effect: "Deny",
        Principal: "*",
        Action: put,
        Resource: busArn,
        Condition: { "ForAnyValue:StringNotEquals": { "events:source": [...sources] } },
      },
    ],
  };
}
