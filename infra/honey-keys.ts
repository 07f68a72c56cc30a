import { Aws, Duration, Validations } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { HONEYKEY_CHECK_IAM_ACTIONS } from "../lambdas/adapters/iam-honey.js";
import { HONEY_CHECK_ENV } from "../lambdas/core/contract.js";
import { DEFAULT_HONEY_PATH, honeyPathProblem } from "../lambdas/core/honeykey/model.js";
import { honeyArnWildcard } from "../lambdas/core/honeykey/use.js";
import { CLOUDTRAIL_DETAIL_TYPE } from "../lambdas/core/sources/cloudtrail.js";
import {
  deadLetterQueue,
  failureAlarms,
  handlerFunction,
  INCIDENT_RECORD_ACTIONS,
  lambdaTarget,
  queueTarget,
} from "./function-parts.js";
import { PropsCheck } from "./props-check.js";
import { acknowledgeMemberRoleWildcard, assumeMemberRoleStatement } from "./respond-permissions.js";
import type { Lane } from "./signal-rules.js";

/**
 * The rule state that also delivers read-only management events (GetCallerIdentity, List*, Get*,
 * Describe*): with plain ENABLED, EventBridge never matches them, and a leaked key is usually
 * first tried with `aws sts get-caller-identity`. CloudFormation's AWS::Events::Rule `State` takes
 * it; CDK's Rule has only `enabled`, so the construct sets it on the L1 resource.
 */
export const ALL_MANAGEMENT_EVENTS_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

/**
 * Any CloudTrail call (any service, read-only or not, failed or not) by an IAM user under the
 * honey path. Static on purpose: a list of key ids would have to be rewritten (events:PutRule) in
 * every region's forwarder on every create and rotate, would be reset by the next deploy of the
 * template, and would hit EventBridge's pattern size limit; the path never changes, and the respond
 * handler tells honey keys by their record in the incident table. The path must hold no other user.
 */
export function honeyUsePattern(path: string = DEFAULT_HONEY_PATH): events.EventPattern {
  return {
    // Only AWS may send `aws.*` sources (PutEvents refuses them): a forged "CloudTrail" event from
    // anyone allowed PutEvents on the default bus never matches.
    source: [{ prefix: "aws." }] as unknown as string[],
    detailType: [CLOUDTRAIL_DETAIL_TYPE],
    detail: { userIdentity: { type: ["IAMUser"], arn: [{ wildcard: honeyArnWildcard(path) }] } },
  };
}

/**
 * The honey key use rule, for the home stack and the regional forwarders (#13: add
 * `honeyUsePattern(path)` to the patterns they forward, with `state`). The construct id is part
 * of the deployed contract. Informational lane: a flood of calls with a leaked honey key waits in
 * the queue and never takes the containment lane's executions.
 */
export const HONEY_USE_RULE = {
  id: "HoneyKeyUseRule",
  lane: "informational" satisfies Lane,
  state: ALL_MANAGEMENT_EVENTS_STATE,
  description: "CloudTrail: any call by a user under the honey key path (read-only calls included)",
} as const;

/** The default path's pattern, for the forwarders of the Organization stacks. */
export const HONEY_USE_PATTERN: events.EventPattern = honeyUsePattern(DEFAULT_HONEY_PATH);

export interface HoneyKeysProps {
  readonly incidentTable: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
  /** The respond function's informational queue: the use rule's target. */
  readonly informationalQueue: sqs.IQueue;
  /** Where events the queue cannot take end up. */
  readonly deadLetterQueue: sqs.IQueue;
  /** IAM path of honey users, watched by the rule (no other user may live under it). @default "/service/" */
  readonly path?: string;
  /** When the last-used safety net runs. @default - every hour */
  readonly checkSchedule?: events.Schedule;
  /** Retention of the safety net's logs. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** The member role the safety net reads member accounts' honey keys through (MEMBER_ROLE_NAME). @default - this account's honey keys only */
  readonly memberRoleName?: string | undefined;
  /** Limits the member role assumed to the Organization's accounts (aws:ResourceOrgID). @default - no such condition */
  readonly organizationId?: string | undefined;
}

/**
 * Honey keys: the rule that sends every call made by a honey user to the respond function, and
 * the scheduled safety net (GetAccessKeyLastUsed of every honey key against the uses CloudTrail
 * showed). Honey users themselves are created by `lkr honeykey create`.
 */
export class HoneyKeys extends Construct {
  readonly useRule: events.Rule;
  readonly checkFunction: NodejsFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly path: string;

  constructor(scope: Construct, id: string, props: HoneyKeysProps) {
    super(scope, id);
    this.path = props.path ?? DEFAULT_HONEY_PATH;
    new PropsCheck("HoneyKeys").problem(honeyPathProblem(this.path)).throwIfInvalid();

    this.useRule = new events.Rule(this, HONEY_USE_RULE.id, {
      description: HONEY_USE_RULE.description,
      eventPattern: honeyUsePattern(this.path),
      targets: [queueTarget(props.informationalQueue, props.deadLetterQueue)],
    });
    (this.useRule.node.defaultChild as events.CfnRule).state = HONEY_USE_RULE.state;

    this.deadLetterQueue = deadLetterQueue(this, "HoneyCheckDeadLetterQueue");
    const { fn, role } = handlerFunction(this, {
      name: "HoneyCheck",
      handler: "honey-check",
      description: "Honey key safety net: last-used moved without a CloudTrail alert, deny-all detached",
      timeout: Duration.minutes(5),
      deadLetterQueue: this.deadLetterQueue,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      environment: {
        [HONEY_CHECK_ENV.incidentTableName]: props.incidentTable.tableName,
        [HONEY_CHECK_ENV.alertTopicArn]: props.alertTopic.topicArn,
        [HONEY_CHECK_ENV.honeyKeyPath]: this.path,
        ...(props.memberRoleName ? { [HONEY_CHECK_ENV.memberRoleName]: props.memberRoleName } : {}),
      },
    });
    this.checkFunction = fn;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadHoneyUsers",
        actions: [...HONEYKEY_CHECK_IAM_ACTIONS],
        resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user/*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "HoneyKeyRecords",
        actions: [...INCIDENT_RECORD_ACTIONS],
        resources: [props.incidentTable.tableArn],
      }),
    );
    props.alertTopic.grantPublish(fn);
    if (props.memberRoleName) {
      // Member accounts' honey keys: the same reads, as the member role (which holds them and never grants).
      role.addToPolicy(
        assumeMemberRoleStatement(
          `arn:${Aws.PARTITION}:iam::*:role/${props.memberRoleName}`,
          props.organizationId,
        ),
      );
      acknowledgeMemberRoleWildcard([role], props.memberRoleName);
    }
    new events.Rule(this, "HoneyCheckScheduleRule", {
      description: "Honey key safety net (GetAccessKeyLastUsed)",
      schedule: props.checkSchedule ?? events.Schedule.rate(Duration.hours(1)),
      targets: [lambdaTarget(fn, this.deadLetterQueue)],
    });
    this.alarms = failureAlarms(this, "HoneyCheck", fn, this.deadLetterQueue, props.alertTopic, {
      errors:
        "The honey key safety net failed: an unseen use of a honey key may go unnoticed. Check its logs.",
      deadLetters: "Honey key safety net runs ended in the dead-letter queue. Inspect and redrive.",
    });
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]`,
        reason:
          "Honey users have ordinary names under a configurable path; the safety net only reads (GetAccessKeyLastUsed, ListAccessKeys, ListAttachedUserPolicies).",
      },
      {
        id: "AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
        reason: "Granted by Topic.grantPublish on the alert topic's own KMS key only.",
      },
    );
  }
}
