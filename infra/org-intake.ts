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
  /**
   * The Organization (`o-…`) whose accounts may put forwarded signals on the bus.
   * @default - a single account: only this account's regional forwarder roles may put, and only the regional patterns
   */
  readonly organizationId?: string;
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
 * What the member forwarder roles' names start with: the member stack (us-east-1) and the member
 * regional forwarders name their one rule role `<prefix><region>` (IAM is global: one name per
 * account and region), and the central bus admits honey key use from them by this prefix.
 */
export function memberForwarderRolePrefix(centralStackName: string): string {
  return `${centralStackName}-member-forwarder-`;
}

/** A member forwarder role's name in `region`; refused when longer than IAM allows. */
export function memberForwarderRoleName(centralStackName: string, region: string): string {
  const name = `${memberForwarderRolePrefix(centralStackName)}${region}`;
  if (name.length > ROLE_NAME_MAX) {
    throw new Error(
      `member forwarder role name "${name}" is ${name.length} characters; IAM allows ${ROLE_NAME_MAX}: use a shorter stackName`,
    );
  }
  return name;
}

/** Every member forwarder role of the central stack, in any account (`aws:PrincipalOrgID` narrows it to the Organization). */
export function memberForwarderRoleArnPattern(centralStackName: string): string {
  return `arn:${Aws.PARTITION}:iam::*:role/${memberForwarderRolePrefix(centralStackName)}*`;
}

/**
 * The central bus: AWS's own signals forwarded by the regional forwarders and the member accounts
 * arrive here (cross-region and cross-account EventBridge delivery) and take the same lanes as on the
 * home region's default bus. Its policy admits `PutEvents` only from principals of the Organization and
 * only for the forwarded sources (all `aws.*`, which no caller can put itself: only EventBridge rules
 * forward them), so no custom event is ever accepted here; CloudTrail calls of any `aws.*` source
 * (honey key use) only from the forwarder roles (see `orgBusPolicy`). Without an Organization (a
 * single account with `forwardRegions`) the same bus takes the regional forwarders' GuardDuty
 * findings and honey key use, from those roles of its own account only (see `accountBusPolicy`).
 */
export class OrganizationIntake extends Construct {
  readonly bus: events.EventBus;
  /** The bus's ARN, from its literal name (the forwarders and the member template name it). */
  readonly busArn: string;
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: OrganizationIntakeProps) {
    super(scope, id);
    const org = props.organizationId;
    // A single account has regional forwarders only (no member accounts).
    const named =
      props.patterns ??
      (org === undefined
        ? REGIONAL_FORWARDED_PATTERNS
        : [...REGIONAL_FORWARDED_PATTERNS, ...MEMBER_FORWARDED_PATTERNS]);
    const patterns = [...named, honeyForwardedPattern(props.honeyKeyPath)];
    const stackName = Stack.of(this).stackName;
    const name = centralBusName(stackName);
    this.bus = new events.EventBus(this, "OrgSignalBus", {
      eventBusName: name,
      description:
        org === undefined
          ? "leaked-key-responder: AWS signals forwarded from this account's other regions"
          : "leaked-key-responder: AWS signals forwarded from the Organization's accounts and regions",
    });
    this.busArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${name}`;
    (this.bus.node.defaultChild as events.CfnEventBus).policy =
      org === undefined
        ? accountBusPolicy(this.busArn, forwardedSources(named), forwarderRoleArnPattern(stackName))
        : orgBusPolicy(this.busArn, org, forwardedSources(named), [
            forwarderRoleArnPattern(stackName),
            memberForwarderRoleArnPattern(stackName),
          ]);
    const r = props.responder;
    this.rules = patterns.map((p) => {
      const rule = new events.Rule(this, `Org${p.ruleId}`, {
        description: `${org === undefined ? "From the other regions" : "From the Organization"}: ${SIGNAL_DESCRIPTION(p)}`,
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
 * the forwarder roles (regional forwarders of the central account, `<stackName>-forwarder-*`, and
 * the member forwarders, `<stackName>-member-forwarder-*` of any account of the Organization) may
 * also put CloudTrail API calls of any `aws.*` source (honey key use: its pattern matches every
 * service). Everyone else, and every other source or detail-type, is denied whatever their identity
 * policies say. The regional forwarders live in the central account, where an identity policy alone
 * would let them put: the Deny statements are what narrows them, and they bind every principal.
 */
export function orgBusPolicy(
  busArn: string,
  organizationId: string,
  sources: readonly string[],
  forwarderRoleArns: string | readonly string[],
) {
  return intakeBusPolicy(busArn, { organizationId }, sources, forwarderRoleArns);
}

/**
 * The single-account intake bus's policy: the same statements as {@link orgBusPolicy} with the
 * account in place of the Organization, and one more Deny: nobody but the regional forwarder roles
 * of this account (`<stackName>-forwarder-*`) puts anything, even with an identity policy that
 * allows it.
 */
export function accountBusPolicy(busArn: string, sources: readonly string[], forwarderRoleArns: string) {
  return intakeBusPolicy(busArn, { account: Aws.ACCOUNT_ID }, sources, forwarderRoleArns);
}

/** Who may put at all: the Organization's principals, or (single account) this account's. */
type Circle = { readonly organizationId: string } | { readonly account: string };

function intakeBusPolicy(
  busArn: string,
  circle: Circle,
  sources: readonly string[],
  forwarderRoleArns: string | readonly string[],
) {
  const put = "events:PutEvents";
  const org = "organizationId" in circle;
  const inCircle = org
    ? { "aws:PrincipalOrgID": circle.organizationId }
    : { "aws:PrincipalAccount": circle.account };
  const forwarders = typeof forwarderRoleArns === "string" ? forwarderRoleArns : [...forwarderRoleArns];
  const statement = (sid: string, effect: "Allow" | "Deny", condition: Record<string, unknown>) => ({
    Sid: sid,
    Effect: effect,
    Principal: "*",
    Action: put,
    Resource: busArn,
    Condition: condition,
  });
  return {
    Version: "2012-10-17",
    Statement: [
      statement(org ? "OrganizationForwardsSignals" : "ForwardersPutForwardedSources", "Allow", {
        StringEquals: inCircle,
        "ForAllValues:StringEquals": { "events:source": [...sources] },
        ...(org ? {} : { ArnLike: { "aws:PrincipalArn": forwarders } }),
      }),
      statement("RegionalForwardersPutCloudTrailCalls", "Allow", {
        StringEquals: inCircle,
        // Multi-valued (one per entry of the PutEvents call): every entry must be a CloudTrail call of an AWS service.
        "ForAllValues:StringEquals": { "events:detail-type": [CLOUDTRAIL_DETAIL_TYPE] },
        "ForAllValues:StringLike": { "events:source": ["aws.*"] },
        ArnLike: { "aws:PrincipalArn": forwarders },
      }),
      org
        ? statement("NoOneOutsideTheOrganization", "Deny", { StringNotEquals: inCircle })
        : statement("NoOneButTheForwarders", "Deny", { ArnNotLike: { "aws:PrincipalArn": forwarders } }),
      statement("OnlyForwardedSources", "Deny", {
        "ForAnyValue:StringNotEquals": { "events:source": [...sources] },
        ArnNotLike: { "aws:PrincipalArn": forwarders },
      }),
      statement("ForwardersOnlyCloudTrailCallsBeyondSources", "Deny", {
        // Keys of one operator are ANDed: an entry of a source not forwarded, with another detail-type.
        "ForAnyValue:StringNotEquals": {
          "events:source": [...sources],
          "events:detail-type": [CLOUDTRAIL_DETAIL_TYPE],
        },
      }),
    ],
  };
}
