/**
 * The seeded AWS of the local drill, the benchmarks and the integration tests, in moto_server:
 * the stack's table, topic and event rule, users and roles with keys, and readers of what the
 * responder changed (key statuses, policies, tags, incidents, alerts, events).
 */

import { randomUUID } from "node:crypto";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
} from "@aws-sdk/client-iam";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import * as z from "zod/mini";
import { DynamoDbIncidentStore } from "../lambdas/adapters/dynamodb-incidents.js";
import { onPrincipal, PRINCIPAL_OPERATIONS } from "../lambdas/adapters/iam-principal.js";
import { STATUS_INDEX } from "../lambdas/core/contract.js";
import type { Incident } from "../lambdas/core/incident.js";
import { sessionDenyPolicyDocument } from "../lambdas/core/role-sessions.js";
import type { FenceTarget } from "../lambdas/core/vocabulary.js";

/** moto's account and the region everything runs in. */
export const ACCOUNT_ID = "123456789012";
export const REGION = "us-east-1";

/** SDK client configuration for moto at `endpoint`: its region and dummy credentials. */
export interface MotoClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function motoClientConfig(endpoint: string): MotoClientConfig {
  return { endpoint, region: REGION, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
}

/**
 * Points every SDK client of this process built with default configuration at moto, with dummy
 * credentials: for `lkr`, which resolves its clients as on a workstation.
 */
export function useMoto(endpoint: string): void {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_REGION = REGION;
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  delete process.env.AWS_PROFILE;
}

/**
 * The table, topic, alert queue and event queue of one drill, benchmark or test file, with unique
 * names, in moto at `endpoint`. Its own clients talk to moto directly.
 */
export class World {
  readonly sdk: MotoClientConfig;
  readonly iam: IAMClient;
  readonly dynamo: DynamoDBClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
  readonly suffix = randomUUID().slice(0, 8);
  tableName = "";
  topicArn = "";
  alertQueueUrl = "";
  eventQueueUrl = "";
  drillQueueUrl = "";
  /** The stack's deny-only session policy, as the construct defines it. */
  sessionDenyPolicyArn = "";

  constructor(readonly endpoint: string) {
    this.sdk = motoClientConfig(endpoint);
    this.iam = new IAMClient({ ...this.sdk });
    this.dynamo = new DynamoDBClient({ ...this.sdk });
    this.sns = new SNSClient({ ...this.sdk });
    this.sqs = new SQSClient({ ...this.sdk });
    this.events = new EventBridgeClient({ ...this.sdk });
  }

  /** Creates the table (with its byStatus index), the topic, and the queues behind them. */
  async create(): Promise<this> {
    this.tableName = `incidents-${this.suffix}`;
    await this.dynamo.send(
      new CreateTableCommand({
        TableName: this.tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "incidentId", AttributeType: "S" },
          { AttributeName: "status", AttributeType: "S" },
          { AttributeName: "updatedAt", AttributeType: "S" },
        ],
        KeySchema: [{ AttributeName: "incidentId", KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: STATUS_INDEX,
            KeySchema: [
              { AttributeName: "status", KeyType: "HASH" },
              { AttributeName: "updatedAt", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    );
    this.topicArn =
      (await this.sns.send(new CreateTopicCommand({ Name: `alerts-${this.suffix}` }))).TopicArn ?? "";
    this.alertQueueUrl = await this.queue(`alerts-${this.suffix}`);
    await this.sns.send(
      new SubscribeCommand({
        TopicArn: this.topicArn,
        Protocol: "sqs",
        Endpoint: await this.queueArn(this.alertQueueUrl),
      }),
    );
    const policy = await this.iam.send(
      new CreatePolicyCommand({
        PolicyName: `session-deny-${this.suffix}`,
        PolicyDocument: JSON.stringify(sessionDenyPolicyDocument()),
      }),
    );
    this.sessionDenyPolicyArn = policy.Policy?.Arn ?? "";
    this.eventQueueUrl = await this.queue(`events-${this.suffix}`);
    const rule = `contained-${this.suffix}`;
    await this.events.send(
      new PutRuleCommand({
        Name: rule,
        EventPattern: JSON.stringify({
          source: ["leaked-key-responder"],
          "detail-type": ["Incident Contained"],
        }),
      }),
    );
    await this.events.send(
      new PutTargetsCommand({
        Rule: rule,
        Targets: [{ Id: "q", Arn: await this.queueArn(this.eventQueueUrl) }],
      }),
    );
    return this;
  }

  /** The respond function's environment for this world (then `parseRespondConfig` it), plus `extra`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      INCIDENT_TABLE_NAME: this.tableName,
      ALERT_TOPIC_ARN: this.topicArn,
      RESPONSE_MODE: "enforce",
      SESSION_DENY_POLICY_ARN: this.sessionDenyPolicyArn,
      ...extra,
    };
  }

  private async queue(name: string): Promise<string> {
    return (await this.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? "";
  }

  private async queueArn(url: string): Promise<string> {
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
    );
    return out.Attributes?.QueueArn ?? "";
  }

  /** A user with one (or more) access keys; names unique to this world. */
  async user(base: string, options: { tags?: Record<string, string>; keys?: number } = {}) {
    const name = `${base}-${this.suffix}`;
    const Tags = Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    await this.iam.send(new CreateUserCommand({ UserName: name, ...(Tags.length ? { Tags } : {}) }));
    const keys: string[] = [];
    for (let i = 0; i < (options.keys ?? 1); i++) {
      const out = await this.iam.send(new CreateAccessKeyCommand({ UserName: name }));
      keys.push(out.AccessKey?.AccessKeyId ?? "");
    }
    return { name, keys };
  }

  /** A role (trusting EC2) with these tags; name unique to this world. */
  async role(base: string, tags: Record<string, string> = {}) {
    const name = `${base}-${this.suffix}`;
    const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    await this.iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
        ...(Tags.length ? { Tags } : {}),
      }),
    );
    return name;
  }

  /** Each access key of the user with its status (`Active` / `Inactive`). */
  async keyStatuses(userName: string): Promise<Record<string, string>> {
    const out = await this.iam.send(new ListAccessKeysCommand({ UserName: userName }));
    return Object.fromEntries(
      (out.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId ?? "", k.Status ?? ""]),
    );
  }

  /** The user's attached and inline policies and its tags. */
  userState(userName: string) {
    return this.principalState({ type: "user", name: userName });
  }

  /** The role's attached and inline policies and its tags. */
  roleState(roleName: string) {
    return this.principalState({ type: "role", name: roleName });
  }

  /** A principal's attached and inline policies and its tags (first page of each: a test principal has few). */
  async principalState(target: FenceTarget) {
    const [attached, inline, tags] = await Promise.all([
      onPrincipal(this.iam, target, PRINCIPAL_OPERATIONS.listAttachedPolicies, {}),
      onPrincipal(this.iam, target, PRINCIPAL_OPERATIONS.listInlinePolicies, {}),
      onPrincipal(this.iam, target, PRINCIPAL_OPERATIONS.listTags, {}),
    ]);
    return {
      attached: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ""),
      inline: inline.PolicyNames ?? [],
      tags: Object.fromEntries((tags.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
    };
  }

  /** An inline policy document of the user, parsed. */
  async userPolicy(userName: string, policyName: string): Promise<unknown> {
    const out = await this.iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName }));
    return JSON.parse(decodeURIComponent(out.PolicyDocument ?? "{}"));
  }

  /** An inline policy document of the role, parsed. */
  async rolePolicy(roleName: string, policyName: string): Promise<unknown> {
    const out = await this.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    return JSON.parse(decodeURIComponent(out.PolicyDocument ?? "{}"));
  }

  /** The incident as stored (consistent reads), with its signals' alerted and completed marks; undefined when there is none. */
  incident(incidentId: string): Promise<Incident | undefined> {
    return new DynamoDbIncidentStore(this.dynamo, this.tableName).getWithSignals(incidentId);
  }

  /** Every SNS message that reached the alert queue so far (Subject + the `sqs` body), drained. */
  async alerts(): Promise<{ subject: string; body: Record<string, unknown> }[]> {
    return (await this.drain(this.alertQueueUrl)).map((raw) => {
      const envelope = JSON.parse(raw) as { Subject?: string; Message: string };
      return { subject: envelope.Subject ?? "", body: JSON.parse(envelope.Message) };
    });
  }

  /** Every Incident Contained event that reached the event queue so far, drained. */
  async containedEvents(): Promise<Record<string, unknown>[]> {
    return (await this.drain(this.eventQueueUrl)).map((raw) => JSON.parse(raw));
  }

  /** Subscribes an email address to the alert topic (moto delivers nothing to it; see emailsSent). */
  async subscribeEmail(address: string): Promise<void> {
    await this.sns.send(
      new SubscribeCommand({ TopicArn: this.topicArn, Protocol: "email", Endpoint: address }),
    );
  }

  /**
   * What an email subscriber of the alert topic receives: every message published so far, as
   * moto keeps it (its internal API, /moto-api/data.json), with the body SNS picks for the
   * `email` protocol (the `email` key of a per-protocol message, else `default`).
   */
  async emailsSent(): Promise<{ subject: string; body: string }[]> {
    const res = await fetch(`${this.endpoint}/moto-api/data.json`);
    const data = MotoSnsDataSchema.parse(await res.json());
    const topic = data.sns.Topic.find((t) => t.arn === this.topicArn);
    if (!topic) throw new Error(`moto knows no topic ${this.topicArn}`);
    return topic.sent_notifications.map(([, message, subject]) => ({
      subject: subject ?? "",
      body: snsBodyFor("email", message),
    }));
  }

  /**
   * A bus of its own, as the stack's ResponderBus, whose drill events go to a queue (the Lambda
   * target moto cannot run). Returns the bus name (`lkr drill --event-bus`).
   */
  async routeDrillEvents(): Promise<string> {
    const url = await this.queue(`drill-${this.suffix}`);
    const bus = `responder-${this.suffix}`;
    const rule = `drill-${this.suffix}`;
    await this.events.send(new CreateEventBusCommand({ Name: bus }));
    await this.events.send(
      new PutRuleCommand({
        Name: rule,
        EventBusName: bus,
        EventPattern: JSON.stringify({ source: ["leaked-key-responder.drill"] }),
      }),
    );
    await this.events.send(
      new PutTargetsCommand({
        Rule: rule,
        EventBusName: bus,
        Targets: [{ Id: "q", Arn: await this.queueArn(url) }],
      }),
    );
    this.drillQueueUrl = url;
    return bus;
  }

  /** Drill events that reached the drill queue so far, drained. */
  async drillEvents(): Promise<Record<string, unknown>[]> {
    return (await this.drain(this.drillQueueUrl)).map((raw) => JSON.parse(raw));
  }

  /** Deletes an access key (a key gone before the responder reaches it). */
  async deleteKey(userName: string, accessKeyId: string): Promise<void> {
    await this.iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
  }

  /** Whether IAM still knows the user. */
  async userExists(userName: string): Promise<boolean> {
    try {
      await this.iam.send(new GetUserCommand({ UserName: userName }));
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === "NoSuchEntityException") return false;
      throw error;
    }
  }

  private async drain(url: string): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return bodies;
      for (const m of messages) {
        bodies.push(m.Body ?? "");
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  }
}

/** The part of moto's internal state dump (/moto-api/data.json) that holds published SNS messages. */
const MotoSnsDataSchema = z.object({
  sns: z.object({
    Topic: z.array(
      z.looseObject({
        arn: z.string(),
        // [message id, message, subject, attributes, group id]
        sent_notifications: z.array(z.tuple([z.string(), z.string(), z.nullable(z.string())], z.unknown())),
      }),
    ),
  }),
});

/** The body SNS delivers to a subscriber of `protocol` (MessageStructure json: its key, else `default`). */
export function snsBodyFor(protocol: string, message: string): string {
  let structured: unknown;
  try {
    structured = JSON.parse(message);
  } catch {
    return message;
  }
  if (typeof structured !== "object" || structured === null) return message;
  const bodies = structured as Record<string, unknown>;
  const body = bodies[protocol] ?? bodies.default;
  return typeof body === "string" ? body : message;
}
