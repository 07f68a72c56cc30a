import { Aws, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct, IConstruct } from "constructs";
import { type IamResource, iamActionsFor } from "../lambdas/core/permissions.js";
import { EXEMPT_TAG, TAG_PREFIX } from "../lambdas/core/plan.js";
import { CONSUME_QUEUE_ACTIONS, INCIDENT_RECORD_ACTIONS, LOG_WRITE_ACTIONS } from "./function-parts.js";
import { busArnOf } from "./responder-bus.js";

/** What the respond function acts on, and the settings that narrow its IAM grants. */
export interface RespondPermissionsProps {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.ILogGroup;
  readonly incidentTable: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
  readonly alertTopicKey: kms.IKey;
  readonly deadLetterQueue: sqs.IQueue;
  /** Informational signals and drills, drained through an event source mapping. */
  readonly informationalQueue: sqs.IQueue;
  /** The responder's own bus, where the function emits Incident Contained. */
  readonly eventBus: events.IEventBus;
  readonly quarantinePolicyArn: string;
  readonly memberRoleName: string | undefined;
}

/** The `user/*` and `role/*` ARNs of this account: where a leaked key's owner may be. */
type KeyOwnerArns = Readonly<Record<IamResource, string>>;

/** Actions on one of the function's own resources; those with a `sid` are granted here, the rest by the construct named. */
interface OwnResourceAccess {
  readonly sid?: string;
  readonly actions: readonly string[];
  readonly resource: string;
}

/**
 * The respond role's grants and its permissions boundary, both built from the same action lists:
 * the IAM actions of the permissions table on user/* and role/*, and the actions on its own resources.
 */
export function applyRespondPermissions(scope: Construct, props: RespondPermissionsProps): void {
  const owners: KeyOwnerArns = {
    user: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user/*`,
    role: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`,
  };
  const memberRole = props.memberRoleName
    ? `arn:${Aws.PARTITION}:iam::*:role/${props.memberRoleName}`
    : undefined;
  const bus = props.eventBus;
  const own = ownResources(props, bus);

  for (const { sid, actions, resource } of own) {
    if (sid === undefined) continue; // granted by the construct that owns the resource
    props.fn.addToRolePolicy(new iam.PolicyStatement({ sid, actions: [...actions], resources: [resource] }));
  }
  for (const statement of keyOwnerStatements(owners, props.quarantinePolicyArn)) {
    props.fn.addToRolePolicy(statement);
  }
  acknowledgeKeyOwnerWildcards(props.role);
  if (memberRole) {
    props.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "AssumeMemberRemediationRole",
        actions: ["sts:AssumeRole"],
        resources: [memberRole],
      }),
    );
  }
  iam.PermissionsBoundary.of(props.role).apply(respondBoundary(scope, owners, own, memberRole));
}

/** Everything the function does outside IAM, on its own resources only. */
function ownResources(props: RespondPermissionsProps, bus: events.IEventBus): OwnResourceAccess[] {
  return [
    { sid: "IncidentRecords", actions: INCIDENT_RECORD_ACTIONS, resource: props.incidentTable.tableArn },
    { sid: "PublishAlerts", actions: ["sns:Publish"], resource: props.alertTopic.topicArn },
    {
      sid: "EncryptAlerts",
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resource: props.alertTopicKey.keyArn,
    },
    { sid: "EmitOwnEvents", actions: ["events:PutEvents"], resource: busArnOf(bus) },
    // Granted by handlerFunction (WriteOwnLogs).
    { actions: LOG_WRITE_ACTIONS, resource: props.logGroup.logGroupArn },
    // Granted by the function's deadLetterQueue.
    { actions: ["sqs:SendMessage"], resource: props.deadLetterQueue.queueArn },
    // Granted by the informational queue's event source mapping.
    { actions: CONSUME_QUEUE_ACTIONS, resource: props.informationalQueue.queueArn },
  ];
}

/**
 * The IAM actions of the permissions table on user/* and role/*: attaching only the quarantine
 * policy, tagging only quarantine marks, and no write at all on a principal tagged exempt.
 */
function keyOwnerStatements(owners: KeyOwnerArns, quarantinePolicyArn: string): iam.PolicyStatement[] {
  const both = [owners.user, owners.role];
  const attach = (["user", "role"] as const).flatMap((r) =>
    iamActionsFor(r, "write", ["attach-quarantine-policy"]),
  );
  const tag = (["user", "role"] as const).flatMap((r) => iamActionsFor(r, "write", ["tag-principal"]));
  const conditioned = new Set([...attach, ...tag]);
  const plain = (resource: IamResource) => iamActionsFor(resource).filter((a) => !conditioned.has(a));
  return [
    new iam.PolicyStatement({ sid: "RespondOnUsers", actions: plain("user"), resources: [owners.user] }),
    new iam.PolicyStatement({ sid: "RespondOnRoles", actions: plain("role"), resources: [owners.role] }),
    new iam.PolicyStatement({
      sid: "AttachOnlyTheQuarantinePolicy",
      actions: attach,
      resources: both,
      conditions: { ArnEquals: { "iam:PolicyARN": quarantinePolicyArn } },
    }),
    new iam.PolicyStatement({
      sid: "TagOnlyQuarantineMarks",
      actions: tag,
      resources: both,
      conditions: { "ForAllValues:StringLike": { "aws:TagKeys": [`${TAG_PREFIX}:quarantine:*`] } },
    }),
    new iam.PolicyStatement({
      sid: "NeverChangeExemptPrincipals",
      effect: iam.Effect.DENY,
      actions: [...iamActionsFor("user", "write"), ...iamActionsFor("role", "write")],
      resources: both,
      conditions: { StringEquals: { [`aws:ResourceTag/${EXEMPT_TAG}`]: "true" } },
    }),
  ];
}

/**
 * Caps the respond role whatever is later added to it: only the actions it needs, on its own
 * resources, and never a deletion, a new credential, a boundary or trust change, or PassRole.
 */
function respondBoundary(
  scope: Construct,
  owners: KeyOwnerArns,
  own: readonly OwnResourceAccess[],
  memberRole: string | undefined,
): iam.ManagedPolicy {
  const boundary = new iam.ManagedPolicy(scope, "RespondPermissionsBoundary", {
    description: "Permissions boundary of the leaked-key-responder respond function",
    statements: [
      new iam.PolicyStatement({
        sid: "KeyAndQuarantineActions",
        actions: [...iamActionsFor("user"), ...iamActionsFor("role")],
        resources: [owners.user, owners.role],
      }),
      new iam.PolicyStatement({
        sid: "OwnResources",
        actions: own.flatMap((access) => access.actions),
        resources: own.map((access) => access.resource),
      }),
      ...(memberRole
        ? [
            new iam.PolicyStatement({
              sid: "MemberRemediationRole",
              actions: ["sts:AssumeRole"],
              resources: [memberRole],
            }),
          ]
        : []),
      new iam.PolicyStatement({
        sid: "DisableNeverDelete",
        effect: iam.Effect.DENY,
        actions: [
          "iam:DeleteAccessKey",
          "iam:DeleteUser",
          "iam:DeleteRole",
          "iam:DeleteLoginProfile",
          "iam:CreateAccessKey",
          "iam:CreateLoginProfile",
          "iam:UpdateLoginProfile",
          "iam:PutUserPermissionsBoundary",
          "iam:PutRolePermissionsBoundary",
          "iam:DeleteUserPermissionsBoundary",
          "iam:DeleteRolePermissionsBoundary",
          "iam:UpdateAssumeRolePolicy",
          "iam:CreatePolicyVersion",
          "iam:PassRole",
        ],
        resources: ["*"],
      }),
    ],
  });
  acknowledgeKeyOwnerWildcards(boundary);
  return boundary;
}

/**
 * The responder never fences itself: the respond role is denied every write of the permissions
 * table on its own and the investigate function's roles, by ARN (besides their exempt tag).
 */
export function denyChangesToOwnRoles(fn: lambda.Function, roles: readonly iam.IRole[]): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: "NeverChangeResponderRoles",
      effect: iam.Effect.DENY,
      actions: iamActionsFor("role", "write"),
      resources: roles.map((r) => r.roleArn),
    }),
  );
}

/** user/* and role/* in the respond role and its boundary: the one wildcard finding we accept, with why. */
function acknowledgeKeyOwnerWildcards(scope: IConstruct): void {
  const reason =
    "Which user or role a leaked key belongs to is known only when the signal arrives, so the IAM key and " +
    "quarantine actions name user/* and role/* of this account (never *). They are bounded by: attach only " +
    "the quarantine policy (iam:PolicyARN condition), deny on principals tagged exempt, deny on the function's own role.";
  for (const kind of ["user", "role"]) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:${kind}/*]`,
      reason,
    });
  }
}
