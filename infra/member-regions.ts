import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Aws, BootstraplessSynthesizer, CfnParameter, CfnStackSet, Stack, Tags } from "aws-cdk-lib";
import { Construct } from "constructs";
import { DEFAULT_STACK_NAME } from "../lambdas/core/contract.js";
import { TAG_PREFIX } from "../lambdas/core/plan.js";
import { forwardRules } from "./forward-rules.js";
import { honeyForwardedPattern } from "./forwarding.js";
import { MEMBER_PARAMETERS } from "./member-template.js";
import { memberForwarderRoleName, memberForwarderRolePrefix } from "./org-intake.js";
import { MEMBER_STACK_REGION, SERVICE_MANAGED_STACKSET } from "./org-stacks.js";

/** The member regional forwarder's settings (the same for every member account and region). */
export interface MemberRegionalTemplateProps {
  /** IAM path of the member accounts' honey users (the central stack's `honeyKeyPath`). @default "/service/" */
  readonly honeyKeyPath?: string;
  /**
   * The forwarding role is named `<prefix><region>` (IAM is global: one role per account and region,
   * so each regional stack owns its own and none waits for another). @default memberForwarderRolePrefix("LeakedKeyResponder")
   */
  readonly forwarderRolePrefix?: string;
}

/**
 * A member account's forwarder in one region other than us-east-1: CloudTrail delivers a call to
 * EventBridge only in the region it was made in, so a honey key planted in a member account and
 * tried in eu-west-1 is seen only there. One rule (honey key use, every management event including
 * read-only calls) to the central bus, through a role named `<prefix><region>`, with a DLQ. Nothing
 * else: GuardDuty findings reach the delegated administrator's regional forwarders, and IAM, Health
 * and Trusted Advisor signals exist only in us-east-1 (the member stack forwards those).
 */
export class MemberRegionalForwarderStack extends Stack {
  constructor(scope: App, id: string, props: MemberRegionalTemplateProps = {}) {
    super(scope, id, {
      synthesizer: new BootstraplessSynthesizer(),
      description:
        "leaked-key-responder member account: forwards this region's honey key use to the central bus",
    });
    const centralBus = new CfnParameter(this, MEMBER_PARAMETERS.centralBusArn, {
      type: "String",
      allowedPattern: "^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/[\\w.-]+$",
      description: "ARN of the central bus",
    });
    forwardRules(this, {
      patterns: [honeyForwardedPattern(props.honeyKeyPath)],
      centralBusArn: centralBus.valueAsString,
      roleName: `${props.forwarderRolePrefix ?? memberForwarderRolePrefix(DEFAULT_STACK_NAME)}${Aws.REGION}`,
      roleDescription:
        "leaked-key-responder: EventBridge forwards this region's honey key use to the central bus",
    });
    Tags.of(this).add(`${TAG_PREFIX}:component`, "member-region");
  }
}

/** The member regional forwarder as CloudFormation JSON (the regional StackSet's TemplateBody). */
export function memberRegionalTemplate(props: MemberRegionalTemplateProps = {}): Record<string, unknown> {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "lkr-member-region-")) });
  const stack = new MemberRegionalForwarderStack(app, "LeakedKeyResponderMemberRegion", props);
  return app.synth().getStackArtifact(stack.artifactId).template as Record<string, unknown>;
}

/** The regions that get a member regional forwarder: the forward regions but us-east-1 (the member stack forwards there). */
export function memberForwardRegions(forwardRegions: readonly string[]): string[] {
  return [...new Set(forwardRegions)].filter((r) => r !== MEMBER_STACK_REGION);
}

export interface MemberRegionalStackSetProps extends MemberRegionalTemplateProps {
  /** OUs (or the root) whose accounts get the regional forwarders, now and when they join (the member stack's OUs). */
  readonly organizationalUnitIds: readonly string[];
  /** The forward regions (us-east-1 is left out: the member stack forwards there). */
  readonly regions: readonly string[];
  /** The central bus members forward to. */
  readonly centralBusArn: string;
  /** `DELEGATED_ADMIN` from a StackSets delegated administrator (the security account), `SELF` from the management account. @default "DELEGATED_ADMIN" */
  readonly callAs?: "DELEGATED_ADMIN" | "SELF";
}

/**
 * The second service-managed StackSet: the member regional forwarder in every forward region but
 * us-east-1 of every member account (auto-deployed to accounts that join the OUs). A StackSet of its
 * own because its template differs from the member stack's, whose IAM role and policy may exist once
 * per account; this one's only IAM resource is its region-suffixed forwarding role.
 */
export class MemberRegionalStackSet extends Construct {
  readonly stackSet: CfnStackSet;
  /** The regions it deploys to. */
  readonly regions: readonly string[];

  constructor(scope: Construct, id: string, props: MemberRegionalStackSetProps) {
    super(scope, id);
    const centralStackName = Stack.of(this).stackName;
    this.regions = memberForwardRegions(props.regions);
    if (this.regions.length === 0) {
      throw new Error(
        `regions is ${JSON.stringify(props.regions)}; expected at least one region other than ${MEMBER_STACK_REGION} (the member stack forwards there)`,
      );
    }
    for (const region of this.regions) memberForwarderRoleName(centralStackName, region); // refuses names IAM would not take
    this.stackSet = new CfnStackSet(this, "StackSet", {
      ...SERVICE_MANAGED_STACKSET,
      capabilities: [...SERVICE_MANAGED_STACKSET.capabilities],
      stackSetName: `${centralStackName}-member-regions`,
      description: "leaked-key-responder member accounts: honey key use of every forward region",
      callAs: props.callAs ?? "DELEGATED_ADMIN",
      parameters: [{ parameterKey: MEMBER_PARAMETERS.centralBusArn, parameterValue: props.centralBusArn }],
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...props.organizationalUnitIds] },
          regions: [...this.regions],
        },
      ],
      templateBody: JSON.stringify(
        memberRegionalTemplate({
          forwarderRolePrefix: memberForwarderRolePrefix(centralStackName),
          ...(props.honeyKeyPath === undefined ? {} : { honeyKeyPath: props.honeyKeyPath }),
          ...(props.forwarderRolePrefix === undefined
            ? {}
            : { forwarderRolePrefix: props.forwarderRolePrefix }),
        }),
      ),
    });
  }
}
