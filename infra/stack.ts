import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { DEFAULT_QUARANTINE_POLICY_ARN } from "../lambdas/core/config.js";
import { STACK_OUTPUTS } from "../lambdas/core/contract.js";
import { LeakedKeyResponder, type LeakedKeyResponderProps } from "./leaked-key-responder.js";
import { OrganizationIntake } from "./org-intake.js";
import { MemberStackSet } from "./org-stacks.js";
import { type OrganizationSettings, validateOrganization } from "./organization.js";
import { InvalidPropsError } from "./props-check.js";
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
   * The Slack / Teams incoming-webhook forwarder with the secret given by ARN (the construct's
   * `responder.webhook` takes the secret itself and wins). @default - none
   */
  readonly webhook?: WebhookSetting;
}

export class LeakedKeyResponderStack extends Stack {
  readonly responder: LeakedKeyResponder;
  /** The central bus of the Organization deployment (unset for a single account). */
  organizationIntake?: OrganizationIntake;
  /** The member StackSet of the Organization deployment (unset for a single account). */
  memberStackSet?: MemberStackSet;

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
    });
  }
}
