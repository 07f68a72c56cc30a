/**
 * The honey key rule in moto: the deployed pattern and state on the default bus, delivering to a
 * queue that stands for the respond function's informational queue, and a pump that feeds the
 * queue's messages to the respond handler as the event source mapping does (an SQS batch).
 */
import { PutRuleCommand, PutTargetsCommand, type RuleState } from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { HONEY_USE_RULE, honeyUsePattern } from "../infra/honey-keys.js";
import { toWirePattern } from "../infra/signal-rules.js";
import type { RespondHandler, RespondResult } from "../lambdas/handlers/respond-handler.js";
import type { World } from "./world.js";

export interface HoneyRoute {
  readonly queueUrl: string;
  /** Feeds every queued event to the handler in SQS batches; returns what each batch returned. */
  pump(handler: RespondHandler): Promise<RespondResult[]>;
}

export async function routeHoneyUses(world: World, path: string): Promise<HoneyRoute> {
  const name = `honey-${world.suffix}`;
  const queueUrl = (await world.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? "";
  const arn =
    (
      await world.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
      )
    ).Attributes?.QueueArn ?? "";
  await world.events.send(
    new PutRuleCommand({
      Name: name,
      EventPattern: JSON.stringify(toWirePattern(honeyUsePattern(path))),
      State: HONEY_USE_RULE.state as RuleState,
    }),
  );
  await world.events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: "q", Arn: arn }] }));
  return {
    queueUrl,
    pump: async (handler) => {
      const results: RespondResult[] = [];
      for (;;) {
        const out = await world.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) return results;
        results.push(
          await handler({
            Records: messages.map((m) => ({
              eventSource: "aws:sqs",
              messageId: m.MessageId ?? "",
              body: m.Body ?? "",
            })),
          }),
        );
        for (const m of messages) {
          await world.sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
          );
        }
      }
    },
  };
}
