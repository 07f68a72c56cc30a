import {
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type RuleState,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { expect } from "vitest";

/**
 * Rule patterns tested by delivery in moto's EventBridge (its TestEventPattern is a stub): each rule
 * delivers to a queue of its own, an event is put on the bus, and the queues that received it name
 * the rules it matched.
 */

/** A rule on `bus` with this pattern, delivering to a new queue `queueName`; returns the queue's URL. */
export async function ruleToQueue(
  events: EventBridgeClient,
  sqs: SQSClient,
  rule: { bus: string; name: string; pattern: unknown; state?: string | undefined; queueName: string },
): Promise<string> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: rule.queueName }))).QueueUrl ?? "";
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] })))
    .Attributes?.QueueArn;
  await events.send(
    new PutRuleCommand({
      Name: rule.name,
      EventBusName: rule.bus,
      EventPattern: JSON.stringify(rule.pattern),
      ...(rule.state === undefined ? {} : { State: rule.state as RuleState }),
    }),
  );
  await events.send(
    new PutTargetsCommand({ Rule: rule.name, EventBusName: rule.bus, Targets: [{ Id: "q", Arn: arn }] }),
  );
  return url;
}

/** An event as published (source, detail-type, detail, resources), put on `bus`; fails the test if refused. */
export async function putOnBus(
  events: EventBridgeClient,
  bus: string,
  event: { source: string; "detail-type": string; detail: unknown; resources?: string[] },
): Promise<void> {
  const out = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: bus,
          Source: event.source,
          DetailType: event["detail-type"],
          Detail: JSON.stringify(event.detail),
          Resources: event.resources ?? [],
        },
      ],
    }),
  );
  expect(out.FailedEntryCount ?? 0).toBe(0);
}

/** How long to wait for deliveries. */
export interface DeliveryWait {
  /** Give up waiting for the expected deliveries after this long; default 10 s. */
  readonly withinMs?: number;
  /** Once they arrived, look once more after this long, for one more than expected; default 100 ms. */
  readonly settleMs?: number;
}

/**
 * The names of the queues (in the map's order) that received a message, waiting (bounded) until
 * `expected` of them have: a delivery that lands late on a loaded machine is still counted, and
 * does not turn up in the next case. Every message received is deleted.
 */
export async function deliveredQueues(
  sqs: SQSClient,
  queues: ReadonlyMap<string, string>,
  expected: number,
  { withinMs = 10_000, settleMs = 100 }: DeliveryWait = {},
): Promise<string[]> {
  const hit = new Set<string>();
  const sweep = async () => {
    for (const [name, url] of queues) {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) continue;
      hit.add(name);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  };
  const deadline = Date.now() + withinMs;
  await sweep();
  while (hit.size < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sweep();
  }
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  await sweep();
  return [...queues.keys()].filter((name) => hit.has(name));
}
