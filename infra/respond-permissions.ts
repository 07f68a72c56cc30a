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
import {
  type IamResource,
  iamActionsFor,
  ROLE_SESSION_REVOKER_INVOKE_ACTIONS,
} from "../lambdas/core/permissions.js";
import { DRILL_TAG, EXEMPT_TAG, TAG_PREFIX } from "../lambdas/core/plan.js";
import { quarantinePolicyArnsOf } from "../lambdas/core/quarantine-fallback.js";
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
  /** AWS Chatbot's topic (encrypted with the alert topic's key): each alert's chat copy. */
  readonly chatTopic?: sns.ITopic | undefined;
  readonly deadLetterQueue: sqs.IQueue;
  /** Informational signals and drills, drained through an event source mapping. */
  readonly informationalQueue: sqs.IQueue;
  /** The responder's own bus, where the function emits Incident Contained. */
  readonly eventBus: events.IEventBus;
  readonly quarantinePolicyArn: string;
  /** The stack's deny-only session policy: the only other policy the role may attach. */
  readonly sessionDenyPolicyArn: string;
  /** The role-session revoker function: the role may invoke it, and nothing else of Lambda. */
  readonly roleSessionRevoker: lambda.IFunction;
  /** ARNs of exempt-listed users and roles: every write of the role is denied on them. */
  readonly exemptArns: readonly string[];
  /** Whether the exempt tag exempts: only then is every write denied on principals carrying it. */
  readonly honorExemptTag: boolean;
  readonly memberRoleName: string | undefined;
  /** The Organization (`o-…`) the member role must belong to (`aws:ResourceOrgID`). @default - any account */
  readonly organizationId?: string | undefined;
  /** Extra alert topics (alert routes): the role may publish to them too. @default - none */
  readonly routedAlertTopics?: readonly string[];
  /** Whether alert routes need the account's OUs and tags (organizations:ListParents, ListTagsForResource). @default false */
  readonly readAccountPlacement?: boolean;
}

/** The `user/*` and `role/*` ARNs of this account: where a leaked key's owner may be. */
export type KeyOwnerArns = Readonly<Record<IamResource, string>>;

/** The settings that narrow the IAM key and quarantine actions (the same in the home and the member accounts). */
export type KeyOwnerSettings = Pick<
  RespondPermissionsProps,
  "quarantinePolicyArn" | "sessionDenyPolicyArn" | "exemptArns" | "honorExemptTag"
>;

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
  for (const statement of keyOwnerStatements(owners, props)) {
    props.fn.addToRolePolicy(statement);
  }
  acknowledgeKeyOwnerWildcards(props.role);
  if (memberRole) props.fn.addToRolePolicy(assumeMemberRoleStatement(memberRole, props.organizationId));
  for (const statement of alertRouteStatements(props)) props.fn.addToRolePolicy(statement);
  const boundary = respondBoundary(scope, owners, own, memberRole, props);
  iam.PermissionsBoundary.of(props.role).apply(boundary);
  if (props.memberRoleName) acknowledgeMemberRoleWildcard([props.role, boundary], props.memberRoleName);
  if (props.readAccountPlacement) {
    for (const scope of [props.role, boundary]) {
      Validations.of(scope).acknowledge({
        id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        reason:
          "organizations:ListParents and ListTagsForResource (alert routes by OU or account tag) are read-only; " +
          "account and OU ARNs name the management account, which the stack does not know.",
      });
    }
  }
}

/**
 * `sts:AssumeRole` on the member role's name in any account, and (with the Organization given) only
 * where that role belongs to the Organization (`aws:ResourceOrgID`).
 */
export function assumeMemberRoleStatement(
  memberRoleArn: string,
  organizationId: string | undefined,
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "AssumeMemberRemediationRole",
    actions: ["sts:AssumeRole"],
    resources: [memberRoleArn],
    ...(organizationId ? { conditions: { StringEquals: { "aws:ResourceOrgID": organizationId } } } : {}),
  });
}

/** Publishing to the routed alert topics, and (for OU and tag routes) reading an account's place in the Organization. */
function alertRouteStatements(props: RespondPermissionsProps): iam.PolicyStatement[] {
  const topics = props.routedAlertTopics ?? [];
  return [
    ...(topics.length > 0
      ? [
          new iam.PolicyStatement({
            sid: "PublishRoutedAlerts",
            actions: ["sns:Publish"],
            resources: [...topics],
          }),
        ]
      : []),
    ...(props.readAccountPlacement ? [readAccountPlacementStatement()] : []),
  ];
}

/**
 * organizations:ListParents and ListTagsForResource: read-only, on "*" (the account and OU ARNs name
 * the management account, which the stack does not know).
 */
function readAccountPlacementStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "ReadAccountPlacement",
    actions: ["organizations:ListParents", "organizations:ListTagsForResource"],
    resources: ["*"],
  });
}

/** The member role's name in any account: the one wildcard of the assume-role grant, with why. */
export function acknowledgeMemberRoleWildcard(scopes: readonly IConstruct[], memberRoleName: string): void {
  const resource = `arn:<AWS::Partition>:iam::*:role/${memberRoleName}`;
  for (const scope of scopes) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
      reason:
        "The event's account is known only when it arrives: the grant names the one member role by name in any " +
        "account, and aws:ResourceOrgID limits it to the accounts of the Organization.",
    });
  }
}

/** Everything the function does outside IAM, on its own resources only. */
function ownResources(props: RespondPermissionsProps, bus: events.IEventBus): OwnResourceAccess[] {
  return [
    { sid: "IncidentRecords", actions: INCIDENT_RECORD_ACTIONS, resource: props.incidentTable.tableArn },
    { sid: "PublishAlerts", actions: ["sns:Publish"], resource: props.alertTopic.topicArn },
    ...(props.chatTopic
      ? [{ sid: "PublishChatAlerts", actions: ["sns:Publish"], resource: props.chatTopic.topicArn }]
      : []),
    {
      sid: "EncryptAlerts",
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resource: props.alertTopicKey.keyArn,
    },
    {
      sid: "InvokeRoleSessionRevoker",
      actions: [...ROLE_SESSION_REVOKER_INVOKE_ACTIONS],
      resource: props.roleSessionRevoker.functionArn,
    },
    { sid: "EmitOwnEvents", actions: ["events:PutEvents"], resource: busArnOf(bus) },
    // Granted by applyRespondPermissions (PublishRoutedAlerts): in the boundary one by one.
    ...(props.routedAlertTopics ?? []).map((topic) => ({ actions: ["sns:Publish"], resource: topic })),
    // Granted by handlerFunction (WriteOwnLogs).
    { actions: LOG_WRITE_ACTIONS, resource: props.logGroup.logGroupArn },
    // Granted by the function's deadLetterQueue.
    { actions: ["sqs:SendMessage"], resource: props.deadLetterQueue.queueArn },
    // Granted by the informational queue's event source mapping.
    { actions: CONSUME_QUEUE_ACTIONS, resource: props.informationalQueue.queueArn },
  ];
}

/** The deny-only managed policies the role may attach: the quarantine policy and the stack's session deny. */
function denyOnlyPolicies(props: KeyOwnerSettings): string[] {
  // With V4 (the default) also V3: attached where V4 does not exist (see quarantine-fallback.ts).
  return [...quarantinePolicyArnsOf(props.quarantinePolicyArn), props.sessionDenyPolicyArn];
}

/** Every write of the permissions table, on users and roles. */
function allWrites(): string[] {
  return [...iamActionsFor("user", "write"), ...iamActionsFor("role", "write")];
}

/**
 * The IAM actions of the permissions table on user/* and role/*: attaching only deny-only
 * policies (iam:PolicyARN), tagging only quarantine marks, never the exempt or drill tag, and no
 * write at all on an exempt-listed principal (nor, where the deployer honours it, one tagged exempt).
 */
export function keyOwnerStatements(owners: KeyOwnerArns, props: KeyOwnerSettings): iam.PolicyStatement[] {
  const both = [owners.user, owners.role];
  const attach = (["user", "role"] as const).flatMap((r) =>
    iamActionsFor(r, "write", ["attach-quarantine-policy", "attach-session-deny-policy"]),
  );
  const tag = (["user", "role"] as const).flatMap((r) => iamActionsFor(r, "write", ["tag-principal"]));
  const conditioned = new Set([...attach, ...tag]);
  const plain = (resource: IamResource) => iamActionsFor(resource).filter((a) => !conditioned.has(a));
  return [
    new iam.PolicyStatement({ sid: "RespondOnUsers", actions: plain("user"), resources: [owners.user] }),
    new iam.PolicyStatement({ sid: "RespondOnRoles", actions: plain("role"), resources: [owners.role] }),
    new iam.PolicyStatement({
      sid: "AttachOnlyDenyOnlyPolicies",
      actions: [...new Set(attach)],
      resources: both,
      conditions: { ArnEquals: { "iam:PolicyARN": denyOnlyPolicies(props) } },
    }),
    new iam.PolicyStatement({
      sid: "TagOnlyQuarantineMarks",
      actions: tag,
      resources: both,
      conditions: { "ForAllValues:StringLike": { "aws:TagKeys": [`${TAG_PREFIX}:quarantine:*`] } },
    }),
    new iam.PolicyStatement({
      sid: "NeverSetExemptOrDrillTags",
      effect: iam.Effect.DENY,
      actions: tag,
      resources: both,
      conditions: { "ForAnyValue:StringEqualsIgnoreCase": { "aws:TagKeys": [EXEMPT_TAG, DRILL_TAG] } },
    }),
    ...(props.exemptArns.length > 0
      ? [
          new iam.PolicyStatement({
            sid: "NeverChangeExemptListed",
            effect: iam.Effect.DENY,
            actions: allWrites(),
            resources: [...props.exemptArns],
          }),
        ]
      : []),
    // Only where the deployer honours the tag: otherwise a leaked key that tagged itself exempt
    // would block its own containment at the IAM level.
    ...(props.honorExemptTag
      ? [
          new iam.PolicyStatement({
            sid: "NeverChangeExemptPrincipals",
            effect: iam.Effect.DENY,
            actions: allWrites(),
            resources: both,
            conditions: { StringEquals: { [`aws:ResourceTag/${EXEMPT_TAG}`]: "true" } },
          }),
        ]
      : []),
  ];
}

/** The ARNs an exempt-list entry names: an ARN as given; a bare name as user and role, at any path. */
export function exemptArnsOf(entries: readonly string[]): string[] {
  return entries.flatMap((entry) => {
    if (entry.startsWith("arn:")) return [entry];
    const base = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}`;
    return ["user", "role"].flatMap((kind) => [`${base}:${kind}/${entry}`, `${base}:${kind}/*/${entry}`]);
  });
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
  props: RespondPermissionsProps,
): iam.ManagedPolicy {
  const attach = new Set(["iam:AttachUserPolicy", "iam:AttachRolePolicy"]);
  const boundary = new iam.ManagedPolicy(scope, "RespondPermissionsBoundary", {
    description: "Permissions boundary of the leaked-key-responder respond function",
    statements: [
      new iam.PolicyStatement({
        sid: "KeyAndQuarantineActions",
        actions: [...iamActionsFor("user"), ...iamActionsFor("role")].filter((a) => !attach.has(a)),
        resources: [owners.user, owners.role],
      }),
      new iam.PolicyStatement({
        sid: "AttachOnlyDenyOnlyPolicies",
        actions: [...attach],
        resources: [owners.user, owners.role],
        conditions: { ArnEquals: { "iam:PolicyARN": denyOnlyPolicies(props) } },
      }),
      new iam.PolicyStatement({
        sid: "OwnResources",
        actions: own.flatMap((access) => access.actions),
        resources: own.map((access) => access.resource),
      }),
      ...(props.readAccountPlacement ? [readAccountPlacementStatement()] : []),
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
      new iam.PolicyStatement({
        sid: "NoGrantPower",
        effect: iam.Effect.DENY,
        actions: [
          "iam:PutUserPolicy",
          "iam:PutRolePolicy",
          "iam:PutGroupPolicy",
          "iam:CreatePolicy",
          "iam:SetDefaultPolicyVersion",
          "iam:AttachGroupPolicy",
          "iam:CreateUser",
          "iam:CreateRole",
          "iam:AddUserToGroup",
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
