import { Aws, Duration, Names, Validations } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { INVESTIGATE_ENV, REGION_PATTERN } from "../lambdas/core/contract.js";
import {
  DEFAULT_LOOKBACK_HOURS,
  GLOBAL_EVENTS_REGION,
  MAX_EVENT_HISTORY_DAYS,
} from "../lambdas/core/investigation/config.js";
import {
  INCIDENT_CONTAINED_DETAIL_TYPE,
  RESPONDER_EVENT_SOURCE,
} from "../lambdas/core/investigation/contained-event.js";
import { INVESTIGATION_ACTIONS } from "../lambdas/core/investigation/permissions.js";
import { PERSISTENCE_DETAIL_TYPE } from "../lambdas/core/investigation/persistence.js";
import { INVESTIGATION_WRITE_ATTRIBUTES } from "../lambdas/core/investigation/ports.js";
import { deadLetterQueue, failureAlarms, handlerFunction, lambdaTarget } from "./function-parts.js";
import { PropsCheck } from "./props-check.js";
import { acknowledgeMemberRoleWildcard, assumeMemberRoleStatement } from "./respond-permissions.js";
import { busArnOf, onlyEntriesOf } from "./responder-bus.js";

export interface InvestigationProps {
  /** The responder's incident table; the summary is stored on the incident item. */
  readonly incidentTable: dynamodb.ITable;
  /** The responder's alert topic; the follow-up alert goes to the same subscribers. */
  readonly alertTopic: sns.ITopic;
  /** The responder's own bus, where the respond function emits Incident Contained. */
  readonly eventBus: events.IEventBus;
  /** AWS Chatbot's topic: each follow-up's chat copy (encrypted with the alert topic's key). @default - none */
  readonly chatTopic?: sns.ITopic;
  /** Regions searched besides us-east-1 (always searched: IAM and STS calls are recorded only there). @default - us-east-1 only */
  readonly regions?: readonly string[];
  /** Retention of the function's logs. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long after a containment its check runs: calls made with the key (and its session keys)
   * after it was disabled are looked up; CloudTrail delivers within about 15 minutes.
   * Between 5 minutes and 24 hours. @default Duration.minutes(30)
   */
  readonly confirmContainmentAfter?: Duration;
  /**
   * Reserved concurrency of the investigate function. One container already paces LookupEvents at
   * CloudTrail's 2 requests/s per account and region; a second would only share that rate (and be
   * throttled), so the responder caps it at 1. @default - unreserved
   */
  readonly reservedConcurrency?: number;
  /** Role assumed to search a member account's CloudTrail (MEMBER_ROLE_NAME). @default - own account only */
  readonly memberRoleName?: string | undefined;
  /** The Organization the member role must belong to (`aws:ResourceOrgID`). @default - no Organization condition */
  readonly organizationId?: string | undefined;
}

/** Validates props, collecting every problem: each names the prop, the value given and what is allowed. */
function validate(props: InvestigationProps): void {
  const after = props.confirmContainmentAfter;
  new PropsCheck("Investigation")
    .each(
      props.regions,
      (region) => REGION_PATTERN.test(region),
      (region) => `regions contains "${region}"; expected AWS region names such as eu-west-1`,
    )
    .value(
      after === undefined || after.isUnresolved() ? undefined : after.toMinutes({ integral: false }),
      (minutes) => Number.isInteger(minutes) && minutes >= 5 && minutes <= 1440,
      (minutes) =>
        `confirmContainmentAfter is ${minutes} minutes; expected whole minutes from 5 minutes to 24 hours`,
    )
    .throwIfInvalid();
}

/** The only service the schedule role may be passed to, and that assumes it. */
const SCHEDULER_SERVICE = "scheduler.amazonaws.com";

/**
 * The investigation: on `Incident Contained`, the investigate function searches CloudTrail for
 * what the contained key did, stores a summary on the incident and sends a follow-up alert.
 * Off the containment path: its own rule, DLQ and alarms.
 */
export class Investigation extends Construct {
  readonly investigateFunction: lambda.Function;
  /** The investigate function's role (the only one that may put Persistence Found on the responder's bus). */
  readonly investigateRole: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
  /** The schedule group the one-time containment checks are created in. */
  readonly scheduleGroup: scheduler.CfnScheduleGroup;
  /** The role the schedules invoke the investigate function with: it may do nothing else. */
  readonly scheduleRole: iam.Role;
  /** The alarms on the investigate function's errors and dead letters (they publish to the alert topic). */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: InvestigationProps) {
    super(scope, id);
    validate(props);
    const regions = [...new Set([GLOBAL_EVENTS_REGION, ...(props.regions ?? [])])];

    this.deadLetterQueue = deadLetterQueue(this, "InvestigateDeadLetterQueue");
    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, "ContainmentCheckGroup", {
      name: Names.uniqueResourceName(this, { maxLength: 64, separator: "-" }),
    });
    this.scheduleRole = new iam.Role(this, "ContainmentCheckRole", {
      description:
        "leaked-key-responder: EventBridge Scheduler invokes the investigate function with it (containment checks), nothing else",
      assumedBy: new iam.ServicePrincipal(SCHEDULER_SERVICE, {
        conditions: {
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: { "aws:SourceArn": this.scheduleArnPattern() },
        },
      }),
    });
    const { fn, role } = handlerFunction(this, {
      name: "Investigate",
      handler: "investigate",
      description: "Investigates contained leaked keys: CloudTrail LookupEvents, summary, follow-up alert",
      // LookupEvents is paced at 2 requests/s per region: 10,000 calls are 200 pages, 100 s per key and region.
      timeout: Duration.minutes(15),
      deadLetterQueue: this.deadLetterQueue,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      reservedConcurrency: props.reservedConcurrency,
      environment: {
        [INVESTIGATE_ENV.incidentTableName]: props.incidentTable.tableName,
        [INVESTIGATE_ENV.alertTopicArn]: props.alertTopic.topicArn,
        [INVESTIGATE_ENV.regions]: regions.join(","),
        [INVESTIGATE_ENV.lookbackHours]: String(DEFAULT_LOOKBACK_HOURS),
        [INVESTIGATE_ENV.maxLookbackDays]: String(MAX_EVENT_HISTORY_DAYS),
        [INVESTIGATE_ENV.eventBusName]: props.eventBus.eventBusName,
        [INVESTIGATE_ENV.confirmAfterMinutes]: String(
          (props.confirmContainmentAfter ?? Duration.minutes(30)).toMinutes(),
        ),
        [INVESTIGATE_ENV.scheduleGroupName]: this.scheduleGroup.ref,
        [INVESTIGATE_ENV.scheduleRoleArn]: this.scheduleRole.roleArn,
        [INVESTIGATE_ENV.scheduleDeadLetterArn]: this.deadLetterQueue.queueArn,
        ...(props.memberRoleName ? { [INVESTIGATE_ENV.memberRoleName]: props.memberRoleName } : {}),
        ...(props.chatTopic ? { [INVESTIGATE_ENV.chatTopicArn]: props.chatTopic.topicArn } : {}),
      },
    });
    this.investigateFunction = fn;
    this.investigateRole = role;
    this.grantInvestigatePermissions(role, props);
    this.grantPersistenceHandOver(role, props);
    this.grantContainmentChecks(role);

    this.rule = new events.Rule(this, "IncidentContainedRule", {
      description: "Incident Contained (emitted by the respond function) -> investigate",
      eventBus: props.eventBus,
      eventPattern: { source: [RESPONDER_EVENT_SOURCE], detailType: [INCIDENT_CONTAINED_DETAIL_TYPE] },
      targets: [lambdaTarget(this.investigateFunction, this.deadLetterQueue)],
    });

    this.alarms = failureAlarms(
      this,
      "Investigate",
      this.investigateFunction,
      this.deadLetterQueue,
      props.alertTopic,
      {
        errors:
          "The leaked-key investigate function failed: a follow-up on what a contained key did may be missing. Check its logs and the DLQ.",
        deadLetters:
          "Incident Contained events ended in the investigation dead-letter queue: not investigated. Inspect and redrive.",
      },
    );
  }

  /** Schedules of the stack's own group: `schedule/<group>/*` (the name is fixed at synth). */
  private scheduleArnPattern(): string {
    return `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${this.scheduleGroup.name}/*`;
  }

  /**
   * Persistence found is handed to the respond function as `Persistence Found` on the responder's
   * bus (its policy admits that detail-type from this role only). The investigate role changes
   * nothing in IAM: it reads a role's trust policy (iam:GetRole) for the diff of a changed one.
   */
  private grantPersistenceHandOver(role: iam.Role, props: InvestigationProps): void {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "HandOverPersistence",
        actions: ["events:PutEvents"],
        resources: [busArnOf(props.eventBus)],
        conditions: onlyEntriesOf({ source: RESPONDER_EVENT_SOURCE, detailType: PERSISTENCE_DETAIL_TYPE }),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadRoleTrustPolicies",
        actions: ["iam:GetRole"],
        resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`],
      }),
    );
    Validations.of(role).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]",
      reason:
        "iam:GetRole (read only) on any role of the account: a trust policy changed with a leaked key may be on any role, and the alert shows its diff.",
    });
  }

  /**
   * Containment checks: the function creates one-time schedules in the stack's group only, passing
   * the stack's schedule role only and to Scheduler only; that role may invoke this function (and
   * put a failed invocation on its DLQ), nothing else. Scheduler deletes each schedule once it ran.
   */
  private grantContainmentChecks(role: iam.Role): void {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "CreateContainmentChecks",
        actions: ["scheduler:CreateSchedule"],
        resources: [this.scheduleArnPattern()],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "PassTheScheduleRoleToScheduler",
        actions: ["iam:PassRole"],
        resources: [this.scheduleRole.roleArn],
        conditions: { StringEquals: { "iam:PassedToService": SCHEDULER_SERVICE } },
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.scheduleGroup.name}/*]`,
      reason:
        "Schedules are created under names made per containment, in the stack's own schedule group only.",
    });
    this.scheduleRole.addToPolicy(
      new iam.PolicyStatement({
        sid: "InvokeTheInvestigateFunction",
        actions: ["lambda:InvokeFunction"],
        resources: [this.investigateFunction.functionArn],
      }),
    );
    this.scheduleRole.addToPolicy(
      new iam.PolicyStatement({
        sid: "DeadLetters",
        actions: ["sqs:SendMessage"],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
  }

  /** CloudTrail lookups, the incident item, and publishing to the alert topic: nothing else. */
  private grantInvestigatePermissions(role: iam.Role, props: InvestigationProps): void {
    // cloudtrail:LookupEvents supports no resource-level permissions: the only valid Resource is "*".
    // It is read-only (event history of this account), and it is the only CloudTrail action granted.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "LookUpCloudTrailEvents",
        actions: [...INVESTIGATION_ACTIONS],
        resources: ["*"],
      }),
    );
    Validations.of(role).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
      reason:
        'cloudtrail:LookupEvents has no resource-level permissions, so its only valid Resource is "*"; it is the ' +
        "only action on *, and it only reads this account's CloudTrail event history.",
    });

    // The table itself only (Table.grant would add its indexes). Every fact comes from the stored
    // incident; of it, only the investigation's own attributes may be written (fine-grained access:
    // dynamodb:Attributes names every attribute a request touches, the key included).
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadIncidents",
        actions: ["dynamodb:GetItem"],
        resources: [props.incidentTable.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "WriteOnlyInvestigationAttributes",
        actions: ["dynamodb:UpdateItem"],
        resources: [props.incidentTable.tableArn],
        conditions: {
          "ForAllValues:StringEquals": { "dynamodb:Attributes": [...INVESTIGATION_WRITE_ATTRIBUTES] },
          StringEqualsIfExists: { "dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"] },
        },
      }),
    );
    if (props.memberRoleName) {
      const memberRole = `arn:${Aws.PARTITION}:iam::*:role/${props.memberRoleName}`;
      role.addToPolicy(assumeMemberRoleStatement(memberRole, props.organizationId));
      acknowledgeMemberRoleWildcard([role], props.memberRoleName);
    }
    props.alertTopic.grantPublish(this.investigateFunction);
    props.chatTopic?.grantPublish(this.investigateFunction);
    // On an encrypted topic, grantPublish also grants kms:Decrypt and kms:GenerateDataKey* on that topic's key.
    Validations.of(role).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason:
        "Granted by Topic.grantPublish on the alert topic's own KMS key only (publishing to an encrypted topic needs a data key).",
    });
  }
}
