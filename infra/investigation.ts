import { Duration, Validations } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
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
import { INVESTIGATION_WRITE_ATTRIBUTES } from "../lambdas/core/investigation/ports.js";
import { deadLetterQueue, failureAlarms, handlerFunction, lambdaTarget } from "./function-parts.js";
import { PropsCheck } from "./props-check.js";

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
   * Reserved concurrency of the investigate function. One container already paces LookupEvents at
   * CloudTrail's 2 requests/s per account and region; a second would only share that rate (and be
   * throttled), so the responder caps it at 1. @default - unreserved
   */
  readonly reservedConcurrency?: number;
}

/** Validates props, collecting every problem: each names the prop, the value given and what is allowed. */
function validate(props: InvestigationProps): void {
  new PropsCheck("Investigation")
    .each(
      props.regions,
      (region) => REGION_PATTERN.test(region),
      (region) => `regions contains "${region}"; expected AWS region names such as eu-west-1`,
    )
    .throwIfInvalid();
}

/**
 * The investigation: on `Incident Contained`, the investigate function searches CloudTrail for
 * what the contained key did, stores a summary on the incident and sends a follow-up alert.
 * Off the containment path: its own rule, DLQ and alarms.
 */
export class Investigation extends Construct {
  readonly investigateFunction: NodejsFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
  /** The alarms on the investigate function's errors and dead letters (they publish to the alert topic). */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: InvestigationProps) {
    super(scope, id);
    validate(props);
    const regions = [...new Set([GLOBAL_EVENTS_REGION, ...(props.regions ?? [])])];

    this.deadLetterQueue = deadLetterQueue(this, "InvestigateDeadLetterQueue");
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
        ...(props.chatTopic ? { [INVESTIGATE_ENV.chatTopicArn]: props.chatTopic.topicArn } : {}),
      },
    });
    this.investigateFunction = fn;
    this.grantInvestigatePermissions(role, props);

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

  /** CloudTrail lookups, the incident item, and publishing to the alert topic: nothing else. */
  private grantInvestigatePermissions(role: iam.Role, props: InvestigationProps): void {
    // cloudtrail:LookupEvents supports no resource-level permissions: the only valid Resource is "*".
    // It is read-only (event history of this account), and it is the only CloudTrail action granted.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "LookUpCloudTrailEvents",
        actions: ["cloudtrail:LookupEvents"],
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
