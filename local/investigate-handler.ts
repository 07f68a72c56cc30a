import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { IAMClient } from "@aws-sdk/client-iam";
import { CreateScheduleGroupCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { SNSClient } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { PERSISTENCE_RULE, toWirePattern } from "../infra/signal-rules.js";
import { parseInvestigateConfig } from "../lambdas/core/investigation/config.js";
import {
  INCIDENT_CONTAINED_DETAIL_TYPE,
  RESPONDER_EVENT_SOURCE,
} from "../lambdas/core/investigation/contained-event.js";
import {
  createInvestigateHandler,
  type InvestigateHandler,
} from "../lambdas/handlers/investigate-handler.js";
import { SERVICE_NAME } from "../lambdas/handlers/wiring.js";
import { ACCOUNT_ID, motoClientConfig, REGION, type World } from "./world.js";

/**
 * The Incident Contained of `incidentId` as the responder's bus hands it to the investigate
 * function. It names only the incident: the investigation reads every fact from the stored one.
 */
export function incidentContainedEvent(incidentId: string) {
  return {
    version: "0",
    id: `contained-${incidentId}`,
    "detail-type": INCIDENT_CONTAINED_DETAIL_TYPE,
    source: RESPONDER_EVENT_SOURCE,
    account: ACCOUNT_ID,
    time: new Date().toISOString(),
    region: "us-east-1",
    resources: [],
    detail: { incidentId },
  };
}

/**
 * The responder's bus, schedule group and schedule role as the stack makes them, in moto: the bus's
 * `Persistence Found` events go to a queue (moto runs no Lambda target), the investigate function
 * runs in-process. moto has no CloudTrail LookupEvents: the caller brings the event history (a
 * client mocked with aws-sdk-client-mock, serving published records).
 */
export class LocalInvestigation {
  readonly busName: string;
  readonly scheduleGroup: string;
  readonly scheduleRoleArn: string;
  readonly functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:investigate-local`;
  private readonly sqs: SQSClient;
  private readonly events: EventBridgeClient;
  private queueUrl = "";

  constructor(private readonly world: World) {
    this.busName = `responder-persistence-${world.suffix}`;
    this.scheduleGroup = `checks-${world.suffix}`;
    this.scheduleRoleArn = `arn:aws:iam::${ACCOUNT_ID}:role/containment-checks-${world.suffix}`;
    this.sqs = new SQSClient({ ...world.sdk });
    this.events = new EventBridgeClient({ ...world.sdk });
  }

  async create(): Promise<this> {
    this.queueUrl =
      (await this.sqs.send(new CreateQueueCommand({ QueueName: `persistence-${this.world.suffix}` })))
        .QueueUrl ?? "";
    const queueArn =
      (
        await this.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ["QueueArn"] }),
        )
      ).Attributes?.QueueArn ?? "";
    await this.events.send(new CreateEventBusCommand({ Name: this.busName }));
    const rule = `persistence-${this.world.suffix}`;
    await this.events.send(
      new PutRuleCommand({
        Name: rule,
        EventBusName: this.busName,
        // The stack's own rule pattern, so delivery tests it as deployed.
        EventPattern: JSON.stringify(toWirePattern(PERSISTENCE_RULE.pattern)),
      }),
    );
    await this.events.send(
      new PutTargetsCommand({
        Rule: rule,
        EventBusName: this.busName,
        Targets: [{ Id: "q", Arn: queueArn }],
      }),
    );
    await new SchedulerClient({ ...this.world.sdk }).send(
      new CreateScheduleGroupCommand({ Name: this.scheduleGroup }),
    );
    return this;
  }

  /** The real investigate handler with the world's table, topic and this bus; CloudTrail from `cloudTrail`. */
  handler(options: { logLevel?: LogLevel; confirmAfterMinutes?: number } = {}): InvestigateHandler {
    const sdk = motoClientConfig(this.world.endpoint);
    const config = parseInvestigateConfig({
      INCIDENT_TABLE_NAME: this.world.tableName,
      ALERT_TOPIC_ARN: this.world.topicArn,
      EVENT_BUS_NAME: this.busName,
      SCHEDULE_GROUP_NAME: this.scheduleGroup,
      SCHEDULE_ROLE_ARN: this.scheduleRoleArn,
      CONFIRM_AFTER_MINUTES: String(options.confirmAfterMinutes ?? 30),
    });
    return createInvestigateHandler(config, {
      cloudTrailFor: (region) => new CloudTrailClient({ ...sdk, region }),
      dynamodb: new DynamoDBClient({ ...sdk }),
      sns: new SNSClient({ ...sdk }),
      eventBridge: new EventBridgeClient({ ...sdk }),
      iam: new IAMClient({ ...sdk }),
      scheduler: new SchedulerClient({ ...sdk }),
      functionArn: this.functionArn,
      now: () => new Date(),
      logger: new Logger({ serviceName: SERVICE_NAME, logLevel: options.logLevel ?? "ERROR" }),
    });
  }

  /** The `Persistence Found` events the investigate function put on the bus so far, drained. */
  async persistenceEvents(): Promise<Record<string, unknown>[]> {
    const events: Record<string, unknown>[] = [];
    for (;;) {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return events;
      for (const m of messages) {
        const event = JSON.parse(m.Body ?? "{}") as Record<string, unknown>;
        // moto leaves out the envelope's `account` (AWS always sends it).
        events.push({ account: ACCOUNT_ID, ...event });
        await this.sqs.send(
          new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      }
    }
  }
}
