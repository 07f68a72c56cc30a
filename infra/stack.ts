import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { DEFAULT_QUARANTINE_POLICY_ARN } from "../lambdas/core/config.js";
import { REGION_PATTERN, STACK_OUTPUTS } from "../lambdas/core/contract.js";
import { LeakedKeyResponder, type LeakedKeyResponderProps } from "./leaked-key-responder.js";
import { MemberRegionalStackSet, memberForwardRegions } from "./member-regions.js";
import { OrganizationIntake } from "./org-intake.js";
import { MemberStackSet } from "./org-stacks.js";
import { type OrganizationSettings, validateOrganization } from "./organization.js";
import { InvalidPropsError, PropsCheck } from "./props-check.js";
import { type WebhookSetting, webhookTargetOf } from "./webhook-forwarder.js";

/** IAM CloudTrail events and Health RISK events reach EventBridge only in us-east-1. */
export const DEFAULT_HOME_REGION = "us-east-1";

export interface LeakedKeyResponderStackProps extends StackProps {
  /** Settings of the responder. @default - all construct defaults */
  readonly responder?: LeakedKeyResponderProps;
  /** Allow a home region other than us-east-1 (IAM and Health signals then need forwarding). @default false */
  readonly allowNonDefaultHomeRegion?: boolean;
  /** The Organization deployment: the central bus for forwarded signals and the member StackSet. @default - single account */
  readonly organization?: OrganizationSettings;
  /**
   * A single account's forward regions (`forwardRegions` without `organizationId`): when one differs
   * from the home region, the stack gets the intake bus its regional forwarder stacks put on (the
   * Organization deployment always has it, and takes its regions from `organization`). @default - none
   */
  readonly forwardRegions?: readonly string[];
  /**
   * The Slack / Teams incoming-webhook forwarder with the secret given by ARN (the construct's
   * `responder.webhook` takes the secret itself and wins). @default - none
   */
  readonly webhook?: WebhookSetting;
}

export class LeakedKeyResponderStack extends Stack {
  readonly responder: LeakedKeyResponder;
  /** The central bus of the Organization deployment, or of a single account with forward regions. */
  organizationIntake?: OrganizationIntake;
  /** The member StackSet of the Organization deployment (unset for a single account). */
  memberStackSet?: MemberStackSet;
  /** The member regional forwarders' StackSet (an Organization with forward regions other than us-east-1). */
  memberRegionalStackSet?: MemberRegionalStackSet;

  constructor(scope: Construct, id: string, props: LeakedKeyResponderStackProps = {}) {
    super(scope, id, props);
    const region = props.env?.region;
    if (region !== undefined && region !== DEFAULT_HOME_REGION && !props.allowNonDefaultHomeRegion) {
      throw new InvalidPropsError("LeakedKeyResponderStack", [
        `home region is "${region}"; IAM CloudTrail events and Health RISK events only arrive in ${DEFAULT_HOME_REGION}. ` +
          "Deploy the home stack there, or set allowNonDefaultHomeRegion (context allowNonDefaultHomeRegion=true) if you forward them yourself.",
      ]);
    }
    const org = props.organization;
    if (org) validateOrganization(org);
    else
      new PropsCheck("LeakedKeyResponderStack")
        .each(
          props.forwardRegions,
          (r) => REGION_PATTERN.test(r),
          (r) => `forwardRegions contains "${r}"; expected AWS region names such as eu-west-1`,
        )
        .throwIfInvalid();
    this.responder = new LeakedKeyResponder(this, "Responder", {
      ...(props.webhook ? { webhook: webhookTargetOf(this, props.webhook) } : {}),
      ...props.responder,
      ...(org
        ? {
            memberRoleName: org.memberRoleName,
            organizationId: org.organizationId,
            ...(org.alertRoutes ? { alertRoutes: org.alertRoutes } : {}),
          }
        : {}),
    });
    if (org) this.addOrganization(org, props.responder ?? {});
    else if ((props.forwardRegions ?? []).some((r) => r !== region)) {
      // Same construct id as the Organization's: the bus (a named resource) stays put if the account joins one later.
      this.organizationIntake = new OrganizationIntake(this, "Organization", {
        responder: this.responder,
        honeyKeyPath: props.responder?.honeyKeyPath,
      });
    }
    // The construct publishes the outputs lkr reads (infra/responder-outputs.ts).
  }

  /** The central bus for the Organization's forwarded signals, and the member StackSet. */
  private addOrganization(org: OrganizationSettings, responder: LeakedKeyResponderProps): void {
    const r = this.responder;
    const intake = new OrganizationIntake(this, "Organization", {
      responder: r,
      organizationId: org.organizationId,
      honeyKeyPath: responder.honeyKeyPath,
    });
    this.organizationIntake = intake;
    const centralRoles = [
      r.respondFunction.role?.roleArn,
      r.investigation.investigateFunction.role?.roleArn,
      r.audit.auditFunction.role?.roleArn,
      r.honeyKeys.checkFunction.role?.roleArn,
      ...(responder.operatorRoleArns ?? []),
    ].filter((arn): arn is string => arn !== undefined);
    new CfnOutput(this, STACK_OUTPUTS.memberRoleName, {
      value: org.memberRoleName,
      description: "The member role lkr release acts through in member accounts",
    });
    new CfnOutput(this, STACK_OUTPUTS.roleSessionRevokerFunctionName, {
      value: r.roleSessionRevoker.fn.functionName,
      description:
        "The role-session revoker lkr release asks to lift a role's revoke policy in a member account",
    });
    this.memberStackSet = new MemberStackSet(this, "Members", {
      organizationId: org.organizationId,
      memberRoleName: org.memberRoleName,
      quarantinePolicyArn: responder.quarantinePolicyArn ?? DEFAULT_QUARANTINE_POLICY_ARN,
      exemptPrincipals: (responder.exemptPrincipals ?? []).filter((p) => !p.startsWith("arn:")),
      honorExemptTag: responder.honorExemptTag ?? false,
      organizationalUnitIds: org.memberOrganizationalUnitIds,
      centralRoleArns: centralRoles,
      centralBusArn: intake.busArn,
      centralRevokerRoleArn: r.roleSessionRevoker.role.roleArn,
      ...(responder.honeyKeyPath === undefined ? {} : { honeyKeyPath: responder.honeyKeyPath }),
    });
    // Honey keys of member accounts are tried in any region: a forwarder in each forward region but us-east-1.
    if (memberForwardRegions(org.forwardRegions).length > 0) {
      this.memberRegionalStackSet = new MemberRegionalStackSet(this, "MemberRegions", {
        organizationalUnitIds: org.memberOrganizationalUnitIds,
        regions: org.forwardRegions,
        centralBusArn: intake.busArn,
        ...(responder.honeyKeyPath === undefined ? {} : { honeyKeyPath: responder.honeyKeyPath }),
      });
    }
  }
}
