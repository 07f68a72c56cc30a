import { Aws, CfnStackSet, Stack, type StackProps } from "aws-cdk-lib";
import type * as events from "aws-cdk-lib/aws-events";
import { Construct } from "constructs";
import { forwardRules } from "./forward-rules.js";
import { type ForwardedPattern, regionalForwardedPatterns } from "./forwarding.js";
import { MEMBER_PARAMETERS, type MemberTemplateProps, memberTemplate } from "./member-template.js";
import { memberForwarderRoleName, memberForwarderRolePrefix } from "./org-intake.js";

/** The home region: member stacks are deployed there (IAM, Trusted Advisor and Health signals arrive there). */
export const MEMBER_STACK_REGION = "us-east-1";

/**
 * What every service-managed StackSet of the responder shares: Organizations deploys it into every
 * account of the OUs and into every account that joins them later, removes it from one that leaves,
 * and rolls out to all regions at once.
 */
export const SERVICE_MANAGED_STACKSET = {
  permissionModel: "SERVICE_MANAGED",
  autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
  capabilities: ["CAPABILITY_NAMED_IAM"],
  managedExecution: { Active: true },
  operationPreferences: {
    regionConcurrencyType: "PARALLEL",
    maxConcurrentPercentage: 100,
    failureTolerancePercentage: 10,
  },
} as const;

export interface ForwarderStackProps extends StackProps {
  /** The central bus's ARN (home region of the same account). */
  readonly centralBusArn: string;
  /** Forwarded to the central bus. @default regionalForwardedPatterns(honeyKeyPath): GuardDuty and honey key use */
  readonly patterns?: readonly ForwardedPattern[];
  /** IAM path of honey users, watched in this region (the central stack's `honeyKeyPath`). @default "/service/" */
  readonly honeyKeyPath?: string;
  /**
   * Name of the role the forwarding rules put events with: the central bus admits CloudTrail calls of
   * any `aws.*` source (honey key use) only from roles named `forwarderRoleName(centralStackName, region)`.
   * @default - a name CloudFormation generates (the central bus then refuses honey key use from it)
   */
  readonly roleName?: string;
}

/**
 * A regional forwarder of the central account: the signals of its region (GuardDuty findings of every
 * member, aggregated here by the delegated administrator) go to the central bus in the home region,
 * a cross-region EventBridge target with its own role and a DLQ.
 */
export class ForwarderStack extends Stack {
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, props);
    // One role for every rule (EventBridge assumes it to put on the cross-region bus), one DLQ.
    this.rules = forwardRules(this, {
      patterns: props.patterns ?? regionalForwardedPatterns(props.honeyKeyPath),
      centralBusArn: props.centralBusArn,
      roleName: props.roleName,
      roleDescription: "EventBridge forwards this region's signals to the central bus",
    }).rules;
  }
}

export interface MemberStackSetProps extends MemberTemplateProps {
  /** OUs (or the root) whose accounts get the member stack, now and when they join. */
  readonly organizationalUnitIds: readonly string[];
  /** The central roles the member role trusts. */
  readonly centralRoleArns: readonly string[];
  /** The central bus members forward to. */
  readonly centralBusArn: string;
  /** The central role-session revoker's role: the member's revoker role trusts it alone. */
  readonly centralRevokerRoleArn: string;
  /** `DELEGATED_ADMIN` from a StackSets delegated administrator (the security account), `SELF` from the management account. @default "DELEGATED_ADMIN" */
  readonly callAs?: "DELEGATED_ADMIN" | "SELF";
}

/**
 * The service-managed StackSet of the member stack: Organizations deploys it into every account of
 * the OUs, and into every account that joins them later (auto-deployment), and removes it from an
 * account that leaves.
 */
export class MemberStackSet extends Construct {
  readonly stackSet: CfnStackSet;

  constructor(scope: Construct, id: string, props: MemberStackSetProps) {
    super(scope, id);
    if (!/^arn:aws[a-z-]*:iam::aws:policy\//.test(props.quarantinePolicyArn)) {
      throw new Error(
        `quarantinePolicyArn is "${props.quarantinePolicyArn}"; in an Organization it must be an AWS managed policy ` +
          "(arn:aws:iam::aws:policy/...): a policy of the central stack does not exist in member accounts",
      );
    }
    const centralStackName = Stack.of(this).stackName;
    memberForwarderRoleName(centralStackName, MEMBER_STACK_REGION); // refuses a name IAM would not take
    this.stackSet = new CfnStackSet(this, "StackSet", {
      ...SERVICE_MANAGED_STACKSET,
      capabilities: [...SERVICE_MANAGED_STACKSET.capabilities],
      stackSetName: `${centralStackName}-members`,
      description: "leaked-key-responder member accounts: remediation role and signal forwarding",
      callAs: props.callAs ?? "DELEGATED_ADMIN",
      parameters: [
        { parameterKey: MEMBER_PARAMETERS.centralRoleArns, parameterValue: props.centralRoleArns.join(",") },
        { parameterKey: MEMBER_PARAMETERS.centralBusArn, parameterValue: props.centralBusArn },
        {
          parameterKey: MEMBER_PARAMETERS.centralRevokerRoleArn,
          parameterValue: props.centralRevokerRoleArn,
        },
      ],
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...props.organizationalUnitIds] },
          regions: [MEMBER_STACK_REGION],
        },
      ],
      templateBody: JSON.stringify(
        memberTemplate({ forwarderRolePrefix: memberForwarderRolePrefix(centralStackName), ...props }),
      ),
    });
  }
}

/** The central bus ARN in the home region of the deploying account. */
export function centralBusArnIn(region: string, busName: string, account: string = Aws.ACCOUNT_ID): string {
  return `arn:${Aws.PARTITION}:events:${region}:${account}:event-bus/${busName}`;
}
