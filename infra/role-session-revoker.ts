import { Aws, Duration, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { ROLE_SESSION_REVOKER_ENV } from "../lambdas/core/contract.js";
import { memberRevokerRoleName } from "../lambdas/core/organization.js";
import { MEMBER_REVOKER_ASSUME_ACTIONS, ROLE_SESSION_REVOKER_ACTIONS } from "../lambdas/core/permissions.js";
import { handlerFunction, LOG_WRITE_ACTIONS } from "./function-parts.js";

export interface RoleSessionRevokerProps {
  readonly logRetention: logs.RetentionDays;
}

/**
 * The one function of the stack that may write an inline policy, and only onto a role: time-scoped
 * revocation of a role's sessions has no deny-only managed policy (the time is in the document).
 * Dependency-free: no table, topic, bus or queue; it builds the document itself from (role, time)
 * and its role can do nothing but iam:PutRolePolicy on role/* — never on the stack's own roles or
 * an exempt-listed one (explicit Deny) — and write its logs. Only the respond function invokes it.
 */
export class RoleSessionRevoker extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  private readonly boundary: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: RoleSessionRevokerProps) {
    super(scope, id);
    const { fn, role, logGroup } = handlerFunction(this, {
      name: "RoleSessionRevoker",
      handler: "revoke-role-sessions",
      description:
        "Denies a role's sessions issued before a time (the responder's only inline-policy writer)",
      timeout: Duration.seconds(15),
      deadLetterQueue: undefined,
      logRetention: props.logRetention,
      environment: {},
    });
    this.fn = fn;
    this.role = role;
    const roles = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RevokeRoleSessions",
        actions: [...ROLE_SESSION_REVOKER_ACTIONS],
        resources: [roles],
      }),
    );
    this.boundary = new iam.ManagedPolicy(this, "RoleSessionRevokerPermissionsBoundary", {
      description: "Permissions boundary of the leaked-key-responder role-session revoker",
      statements: [
        new iam.PolicyStatement({
          sid: "RevokeRoleSessions",
          actions: [...ROLE_SESSION_REVOKER_ACTIONS],
          resources: [roles],
        }),
        new iam.PolicyStatement({
          sid: "OwnLogs",
          actions: [...LOG_WRITE_ACTIONS],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    iam.PermissionsBoundary.of(role).apply(this.boundary);
    const reason =
      "A leaked session key's role is known only when the signal arrives: PutRolePolicy names role/* of this account. " +
      "The revoker writes only the deny document it builds itself; the stack's roles and exempt-listed roles are denied explicitly.";
    Validations.of(this).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]",
      reason,
    });
  }

  /**
   * In an Organization: the revoker may assume the member stack's revoker role (named after the
   * member role) of an account of the Organization (`aws:ResourceOrgID`), and nothing else there; it
   * is told the member role's name. Call once.
   */
  reachMembers(memberRoleName: string, organizationId: string | undefined): void {
    const name = memberRevokerRoleName(memberRoleName);
    const statement = () =>
      new iam.PolicyStatement({
        sid: "AssumeMemberRevokerRole",
        actions: [...MEMBER_REVOKER_ASSUME_ACTIONS],
        resources: [`arn:${Aws.PARTITION}:iam::*:role/${name}`],
        ...(organizationId ? { conditions: { StringEquals: { "aws:ResourceOrgID": organizationId } } } : {}),
      });
    this.role.addToPolicy(statement());
    this.boundary.addStatements(statement());
    this.fn.addEnvironment(ROLE_SESSION_REVOKER_ENV.memberRoleName, memberRoleName);
    for (const scope of [this.role, this.boundary]) {
      Validations.of(scope).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${name}]`,
        reason:
          "The member account of a leaked key is known only when the signal arrives: the revoker assumes the one " +
          "revoker role of that name, only in accounts of the Organization (aws:ResourceOrgID).",
      });
    }
  }

  /**
   * Explicit Deny of the revoker's one action on these roles (the stack's own, the exempt-listed)
   * and on every role named after the stack. Call once.
   */
  denyOn(roleArns: readonly string[]): void {
    const stackRoles = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${Aws.STACK_NAME}-*`;
    // A policy of its own, not the role's default one: the function does not wait for it, so naming
    // the respond role (whose boundary names this function) makes no dependency cycle.
    new iam.Policy(this, "ProtectedRolesDeny", {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: "NeverWriteOnProtectedRoles",
          effect: iam.Effect.DENY,
          actions: [...ROLE_SESSION_REVOKER_ACTIONS],
          resources: [stackRoles, ...roleArns],
        }),
      ],
    });
  }
}
