import { Aws, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import { Construct } from "constructs";
import { CLOUDTRAIL_DETAIL_TYPE } from "../lambdas/core/sources/cloudtrail.js";
import {
  type ForwardedPattern,
  forwardedSources,
  honeyForwardedPattern,
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
  /** IAM path of honey users: the regional forwarders' honey key use is routed like the home rule's. @default "/service/" */
  readonly honeyKeyPath?: string;
}

/** The central bus's name: fixed by the central stack's name, so forwarders and the member template can name its ARN. */
export function centralBusName(centralStackName: string): string {
  return `${centralStackName}-org-signals`;
}

/** Largest IAM role name. */
const ROLE_NAME_MAX = 64;

/**
 * The role of a regional forwarder's rules (fixed name: the central bus policy admits honey key use,
 * whose sources are every `aws.*` service, only from these roles).
 */
export function forwarderRoleName(centralStackName: string, region: string): string {
  const name = `${centralStackName}-forwarder-${region}`;
  if (name.length > ROLE_NAME_MAX) {
    throw new Error(
      `forwarder role name "${name}" is ${name.length} characters; IAM allows ${ROLE_NAME_MAX}: use a shorter stackName`,
    );
  }
  return name;
}

/** Every regional forwarder role of the central stack, in the central account (an `ArnLike` value). */
export function forwarderRoleArnPattern(centralStackName: string): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${centralStackName}-forwarder-*`;
}

/**
 * The central bus: AWS's own signals forwarded by the regional forwarders and the member accounts
 * arrive here (cross-region and cross-account EventBridge delivery) and take the same lanes as on the
 * home region's default bus. Its policy admits `PutEvents` only from principals of the Organization and
 * only for the forwarded sources (all `aws.*`, which no caller can put itself: only EventBridge rules
 * forward them), so no custom event is ever accepted here; CloudTrail calls of any `aws.*` source
 * (honey key use) only from the regional forwarder roles (see `orgBusPolicy`).
 */
export class OrganizationIntake extends Construct {
  readonly bus: events.EventBus;
  /** The bus's ARN, from its literal name (the forwarders and the member template name it). */
  readonly busArn: string;
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: OrganizationIntakeProps) {
    super(scope, id);
    const named = props.patterns ?? [...REGIONAL_FORWARDED_PATTERNS, ...MEMBER_FORWARDED_PATTERNS];
    const patterns = [...named, honeyForwardedPattern(props.honeyKeyPath)];
    const stackName = Stack.of(this).stackName;
    const name = centralBusName(stackName);
    this.bus = new events.EventBus(this, "OrgSignalBus", {
      eventBusName: name,
      description: "leaked-key-responder: AWS signals forwarded from the Organization's accounts and regions",
    });
    this.busArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${name}`;
    (this.bus.node.defaultChild as events.CfnEventBus).policy = orgBusPolicy(
      this.busArn,
      props.organizationId,
      forwardedSources(named),
      forwarderRoleArnPattern(stackName),
    );
    const r = props.responder;
    this.rules = patterns.map((p) => {
      const rule = new events.Rule(this, `Org${p.ruleId}`, {
        description: `From the Organization: ${SIGNAL_DESCRIPTION(p)}`,
        eventBus: this.bus,
        eventPattern: p.pattern,
        targets: [
          p.lane === "containment"
            ? lambdaTarget(r.respondFunction, r.deadLetterQueue)
            : queueTarget(r.informationalQueue, r.deadLetterQueue),
        ],
      });
      // The honey rule's state on the central bus too: a forwarded read-only call stays one.
      if (p.state !== undefined) (rule.node.defaultChild as events.CfnRule).state = p.state;
      return rule;
    });
  }
}

const SIGNAL_DESCRIPTION = (p: ForwardedPattern) =>
  p.description.replace(/^Forward to the central bus: /, "");

/**
 * The central bus's resource policy: principals of the Organization may put the forwarded sources;
 * the regional forwarder roles of the central account may also put CloudTrail API calls of any
 * `aws.*` source (honey key use: its pattern matches every service). Everyone else, and every other
 * source or detail-type, is denied whatever their identity policies say. The forwarders live in the
 * central account, where an identity policy alone would let them put: the Deny statements are what
 * narrows them, and they bind every principal.
 */
export function orgBusPolicy(
  busArn: string,
  organizationId: string,
  sources: readonly string[],
  forwarderRoleArns: string,
) {
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
        Sid: "RegionalForwardersPutCloudTrailCalls",
        Effect: "Allow",
        Principal: "*",
        Action: put,
        Resource: busArn,
        Condition: {
          StringEquals: { "aws:PrincipalOrgID": organizationId },
          // Multi-valued (one per entry of the PutEvents call): every entry must be a CloudTrail call.
          "ForAllValues:StringEquals": { "events:detail-type": [CLOUDTRAIL_DETAIL_TYPE] },
          ArnLike: { "aws:PrincipalArn": forwarderRoleArns },
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
        Condition: {
          "ForAnyValue:StringNotEquals": { "events:source": [...sources] },
          ArnNotLike: { "aws:PrincipalArn": forwarderRoleArns },
        },
      },
      {
        Sid: "ForwardersOnlyCloudTrailCallsBeyondSources",
        Effect: "Deny",
        Principal: "*",
        Action: put,
        Resource: busArn,
        Condition: {
          // Keys of one operator are ANDed: an entry of a source not forwarded, with another detail-type.
          "ForAnyValue:StringNotEquals": {
            "events:source": [...sources],
            "events:detail-type": [CLOUDTRAIL_DETAIL_TYPE],
          },
        },
      },
    ],
  };
}
