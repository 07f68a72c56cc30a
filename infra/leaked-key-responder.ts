import { Aws, Duration, RemovalPolicy, Stack, Tags, Validations } from "aws-cdk-lib";
import * as chatbot from "aws-cdk-lib/aws-chatbot";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct, type IConstruct } from "constructs";
import { DEFAULT_QUARANTINE_POLICY_ARN, RESPONSE_MODES } from "../lambdas/core/config.js";
import {
  DEFAULT_EVENT_BUS_NAME,
  IAM_PRINCIPAL_NAME_PATTERN,
  MANAGED_POLICY_ARN_PATTERN,
  RESPOND_ENV,
  STATUS_INDEX,
} from "../lambdas/core/contract.js";
import { iamActionsFor } from "../lambdas/core/permissions.js";
import { EXEMPT_TAG, type ResponseMode, TAG_PREFIX } from "../lambdas/core/plan.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../lambdas/core/sources/guardduty.js";
import { deadLetterQueue, failureAlarms, handlerFunction, lambdaTarget } from "./function-parts.js";
import { Investigation } from "./investigation.js";
import { SIGNAL_RULES } from "./signal-rules.js";

/** An AWS Chatbot (Amazon Q Developer in chat) Slack channel to alert. */
export interface SlackChannel {
  /** Workspace id (from the Chatbot console, e.g. `T07EA123LEP`). */
  readonly workspaceId: string;
  /** Channel id (e.g. `C07EZ1ABC23`). */
  readonly channelId: string;
}

/** An AWS Chatbot Microsoft Teams channel to alert. */
export interface TeamsChannel {
  /** Team id (UUID). */
  readonly teamId: string;
  /** Tenant id (UUID). */
  readonly tenantId: string;
  /** Channel id, as Teams shows it (`19:...@thread.tacv2`). */
  readonly channelId: string;
}

export interface LeakedKeyResponderProps {
  /** Email addresses subscribed to the alert topic. @default - none */
  readonly notificationEmails?: readonly string[];
  /** Slack channel for alerts through AWS Chatbot. @default - none */
  readonly slackChannel?: SlackChannel;
  /** Microsoft Teams channel for alerts through AWS Chatbot. @default - none */
  readonly teamsChannel?: TeamsChannel;
  /** `enforce` contains keys; `notify-only` reports what it would have done. @default "enforce" */
  readonly responseMode?: ResponseMode;
  /** User and role names never changed, only reported (tagging `leaked-key-responder:exempt=true` does the same). @default - none */
  readonly exemptPrincipals?: readonly string[];
  /** GuardDuty finding types that contain the key (`*` wildcard). @default - MaliciousIPCaller, MaliciousIPCaller.Custom, TorIPCaller, PenTest:IAMUser/* */
  readonly guardDutyContainTypes?: readonly string[];
  /** GuardDuty findings at or above this severity contain the key whatever their type. @default 7 */
  readonly guardDutyContainMinSeverity?: number;
  /** Managed policy attached to a quarantined principal. @default arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3 */
  readonly quarantinePolicyArn?: string;
  /** Role the responder assumes in member accounts (deployed there by the member stack). @default - own account only */
  readonly memberRoleName?: string;
  /** Reserved concurrency of the respond function, so an attacker exhausting the account's Lambda concurrency cannot starve it. @default - unreserved (new accounts have too little concurrency to reserve any) */
  readonly reservedConcurrency?: number;
  /** Retention of the functions' logs. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Regions whose CloudTrail the investigation searches besides us-east-1. @default - us-east-1 only */
  readonly investigationRegions?: readonly string[];
  /** Stack name shown in release commands of alerts. @default - the containing stack's name */
  readonly stackNameForCli?: string;
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

/** Validates props, saying what was wrong, the value given and what is allowed. */
function validate(props: LeakedKeyResponderProps): void {
  if (props.responseMode !== undefined && !RESPONSE_MODES.includes(props.responseMode)) {
    throw new Error(`responseMode is "${props.responseMode}"; allowed: ${RESPONSE_MODES.join(", ")}`);
  }
  const min = props.guardDutyContainMinSeverity;
  if (min !== undefined && !(Number.isFinite(min) && min >= 0 && min <= 11)) {
    throw new Error(`guardDutyContainMinSeverity is ${min}; allowed: 0 to 10 (11 contains by type only)`);
  }
  for (const email of props.notificationEmails ?? []) {
    if (!/^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/.test(email)) {
      throw new Error(`notificationEmails contains "${email}"; expected an email address`);
    }
  }
  for (const name of props.exemptPrincipals ?? []) {
    if (!IAM_PRINCIPAL_NAME_PATTERN.test(name)) {
      throw new Error(`exemptPrincipals contains "${name}"; expected an IAM user or role name`);
    }
  }
  const arn = props.quarantinePolicyArn;
  if (arn !== undefined && !MANAGED_POLICY_ARN_PATTERN.test(arn)) {
    throw new Error(`quarantinePolicyArn is "${arn}"; expected a managed policy ARN`);
  }
  const rc = props.reservedConcurrency;
  if (rc !== undefined && !(Number.isInteger(rc) && rc >= 1 && rc <= 100)) {
    throw new Error(`reservedConcurrency is ${rc}; allowed: an integer from 1 to 100`);
  }
}

/**
 * The responder: rules for every leaked-key signal → the respond function (contain, record,
 * fence, notify), the incident table, the alert topic with email/Slack/Teams, DLQs and alarms.
 */
export class LeakedKeyResponder extends Construct {
  readonly incidentTable: dynamodb.Table;
  readonly alertTopic: sns.Topic;
  readonly respondFunction: NodejsFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly alertTopicKey: kms.Key;
  readonly investigation: Investigation;

  constructor(scope: Construct, id: string, props: LeakedKeyResponderProps = {}) {
    super(scope, id);
    validate(props);
    const stack = Stack.of(this);
    const responseMode = props.responseMode ?? "enforce";
    const quarantinePolicyArn = props.quarantinePolicyArn ?? DEFAULT_QUARANTINE_POLICY_ARN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;

    this.incidentTable = new dynamodb.Table(this, "IncidentTable", {
      partitionKey: { name: "incidentId", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.incidentTable.addGlobalSecondaryIndex({
      indexName: STATUS_INDEX,
      partitionKey: { name: "status", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "updatedAt", type: dynamodb.AttributeType.STRING },
    });

    this.alertTopicKey = new kms.Key(this, "AlertTopicKey", {
      description: "Encrypts leaked-key-responder alerts",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const topicKey = this.alertTopicKey;
    // CloudWatch alarms publish to the encrypted topic.
    topicKey.grant(
      new iam.ServicePrincipal("cloudwatch.amazonaws.com"),
      "kms:Decrypt",
      "kms:GenerateDataKey*",
    );
    this.alertTopic = new sns.Topic(this, "AlertTopic", {
      displayName: "Leaked key responder",
      masterKey: topicKey,
      enforceSSL: true,
    });
    for (const email of props.notificationEmails ?? []) {
      this.alertTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.addChatChannels(props);

    this.deadLetterQueue = deadLetterQueue(this, "RespondDeadLetterQueue");
    const { fn, role, logGroup } = handlerFunction(this, {
      name: "Respond",
      handler: "respond",
      description: "Contains leaked AWS access keys: disable, record, fence, notify",
      timeout: Duration.seconds(60),
      deadLetterQueue: this.deadLetterQueue,
      logRetention,
      reservedConcurrency: props.reservedConcurrency,
      environment: {
        [RESPOND_ENV.incidentTableName]: this.incidentTable.tableName,
        [RESPOND_ENV.alertTopicArn]: this.alertTopic.topicArn,
        [RESPOND_ENV.responseMode]: responseMode,
        [RESPOND_ENV.quarantinePolicyArn]: quarantinePolicyArn,
        [RESPOND_ENV.exemptPrincipals]: (props.exemptPrincipals ?? []).join(","),
        [RESPOND_ENV.guardDutyContainTypes]: (
          props.guardDutyContainTypes ?? DEFAULT_GUARDDUTY_POLICY.containTypePatterns
        ).join(","),
        [RESPOND_ENV.guardDutyContainMinSeverity]: String(
          props.guardDutyContainMinSeverity ?? DEFAULT_GUARDDUTY_POLICY.containMinSeverity,
        ),
        [RESPOND_ENV.stackName]: props.stackNameForCli ?? stack.stackName,
        [RESPOND_ENV.eventBusName]: DEFAULT_EVENT_BUS_NAME,
        ...(props.memberRoleName ? { [RESPOND_ENV.memberRoleName]: props.memberRoleName } : {}),
      },
    });
    this.respondFunction = fn;
    this.grantRespondPermissions(quarantinePolicyArn, props.memberRoleName);
    iam.PermissionsBoundary.of(role).apply(this.respondBoundary(logGroup, props.memberRoleName));

    for (const [ruleId, { description, pattern }] of Object.entries(SIGNAL_RULES)) {
      new events.Rule(this, ruleId, {
        description,
        eventPattern: pattern,
        targets: [lambdaTarget(this.respondFunction, this.deadLetterQueue)],
      });
    }

    failureAlarms(this, "Respond", this.respondFunction, this.deadLetterQueue, this.alertTopic, {
      errors:
        "The leaked-key respond function failed: a key may not be contained. Check its logs and the DLQ.",
      deadLetters:
        "Leaked-key signals ended in the dead-letter queue: they were not handled. Inspect and redrive.",
    });

    this.investigation = new Investigation(this, "Investigation", {
      incidentTable: this.incidentTable,
      alertTopic: this.alertTopic,
      regions: props.investigationRegions,
      logRetention,
    });
    this.protectOwnRoles();
  }

  /**
   * The responder never fences itself: its functions' roles carry the exempt tag (honoured by
   * the plan and by the role's Deny on aws:ResourceTag), and the respond role is denied every
   * change to them by ARN as well.
   */
  private protectOwnRoles(): void {
    const roles = [this.respondFunction.role, this.investigation.investigateFunction.role].filter(
      (r): r is iam.IRole => r !== undefined,
    );
    for (const role of roles) Tags.of(role).add(EXEMPT_TAG, "true");
    this.respondFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "NeverChangeResponderRoles",
        effect: iam.Effect.DENY,
        actions: iamActionsFor("role").filter((a) => !/:(Get|List)/.test(a)),
        resources: roles.map((r) => r.roleArn),
      }),
    );
  }

  private grantRespondPermissions(quarantinePolicyArn: string, memberRoleName: string | undefined): void {
    const fn = this.respondFunction;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "IncidentRecords",
        actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        resources: [this.incidentTable.tableArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "PublishAlerts",
        actions: ["sns:Publish"],
        resources: [this.alertTopic.topicArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "EncryptAlerts",
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [this.alertTopicKey.keyArn],
      }),
    );
    events.EventBus.fromEventBusName(this, "DefaultBus", DEFAULT_EVENT_BUS_NAME).grantPutEventsTo(fn);

    const userArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user/*`;
    const roleArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`;
    const attach = new Set(["iam:AttachUserPolicy", "iam:AttachRolePolicy"]);
    const tag = new Set(["iam:TagUser", "iam:TagRole"]);
    const userActions = iamActionsFor("user");
    const roleActions = iamActionsFor("role");
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "RespondOnUsers",
        actions: userActions.filter((a) => !attach.has(a) && !tag.has(a)),
        resources: [userArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "RespondOnRoles",
        actions: roleActions.filter((a) => !attach.has(a) && !tag.has(a)),
        resources: [roleArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "AttachOnlyTheQuarantinePolicy",
        actions: [...attach],
        resources: [userArn, roleArn],
        conditions: { ArnEquals: { "iam:PolicyARN": quarantinePolicyArn } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "TagOnlyQuarantineMarks",
        actions: [...tag],
        resources: [userArn, roleArn],
        conditions: { "ForAllValues:StringLike": { "aws:TagKeys": [`${TAG_PREFIX}:quarantine:*`] } },
      }),
    );
    const mutating = [...userActions, ...roleActions].filter((a) => !/:(Get|List)/.test(a));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: "NeverChangeExemptPrincipals",
        effect: iam.Effect.DENY,
        actions: mutating,
        resources: [userArn, roleArn],
        conditions: { StringEquals: { [`aws:ResourceTag/${EXEMPT_TAG}`]: "true" } },
      }),
    );
    acknowledgeKeyOwnerWildcards(fn.role ?? this);
    if (memberRoleName) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: "AssumeMemberRemediationRole",
          actions: ["sts:AssumeRole"],
          resources: [`arn:${Aws.PARTITION}:iam::*:role/${memberRoleName}`],
        }),
      );
    }
  }

  /**
   * Caps the respond role whatever is later added to it: only the actions it needs, on its own
   * resources, and never a deletion, a new credential, a boundary or trust change, or PassRole.
   */
  private respondBoundary(logGroup: logs.LogGroup, memberRoleName: string | undefined): iam.ManagedPolicy {
    const userArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user/*`;
    const roleArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`;
    const defaultBus = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${DEFAULT_EVENT_BUS_NAME}`;
    const boundary = new iam.ManagedPolicy(this, "RespondPermissionsBoundary", {
      description: "Permissions boundary of the leaked-key-responder respond function",
      statements: [
        new iam.PolicyStatement({
          sid: "KeyAndQuarantineActions",
          actions: [...iamActionsFor("user"), ...iamActionsFor("role")],
          resources: [userArn, roleArn],
        }),
        new iam.PolicyStatement({
          sid: "OwnResources",
          actions: [
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
            "sns:Publish",
            "kms:GenerateDataKey",
            "kms:Decrypt",
            "events:PutEvents",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "sqs:SendMessage",
          ],
          resources: [
            this.incidentTable.tableArn,
            this.alertTopic.topicArn,
            this.alertTopicKey.keyArn,
            defaultBus,
            logGroup.logGroupArn,
            this.deadLetterQueue.queueArn,
          ],
        }),
        ...(memberRoleName
          ? [
              new iam.PolicyStatement({
                sid: "MemberRemediationRole",
                actions: ["sts:AssumeRole"],
                resources: [`arn:${Aws.PARTITION}:iam::*:role/${memberRoleName}`],
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

  private addChatChannels(props: LeakedKeyResponderProps): void {
    if (props.slackChannel) {
      new chatbot.SlackChannelConfiguration(this, "SlackChannel", {
        slackChannelConfigurationName: `${Stack.of(this).stackName}-alerts`.slice(0, 128),
        slackWorkspaceId: props.slackChannel.workspaceId,
        slackChannelId: props.slackChannel.channelId,
        notificationTopics: [this.alertTopic],
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("ReadOnlyAccess")],
        loggingLevel: chatbot.LoggingLevel.ERROR,
      });
    }
    if (props.teamsChannel) {
      const role = new iam.Role(this, "TeamsChannelRole", {
        assumedBy: new iam.ServicePrincipal("chatbot.amazonaws.com"),
        description: "AWS Chatbot Teams channel for leaked-key-responder alerts (no permissions)",
      });
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, "TeamsChannel", {
        configurationName: `${Stack.of(this).stackName}-alerts`.slice(0, 128),
        iamRoleArn: role.roleArn,
        teamId: props.teamsChannel.teamId,
        teamsTenantId: props.teamsChannel.tenantId,
        teamsChannelId: props.teamsChannel.channelId,
        snsTopicArns: [this.alertTopic.topicArn],
        guardrailPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        loggingLevel: "ERROR",
      });
    }
  }
}
