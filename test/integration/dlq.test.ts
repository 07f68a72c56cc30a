import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { capturedIo } from "../../cli/io.js";
import type { MainOptions } from "../../cli/main.js";
import { STACK_OUTPUTS } from "../../lambdas/core/contract.js";
import { guardDutyEvent, healthEvent } from "../../local/events.js";
import { localRespondHandler } from "../../local/respond-handler.js";
import { ACCOUNT_ID, motoClientConfig, useMoto, World } from "../../local/world.js";

const EXIT = { ok: 0, failure: 1, usage: 2 };

let world: World;
let sqs: SQSClient;
let main: (argv: readonly string[], options?: MainOptions) => Promise<number>;
/** The stack outputs lkr reads, as the deployed stack has them (this one has no audit outputs). */
let outputs: Record<string, string>;

async function queue(name: string): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${world.suffix}` }))).QueueUrl ?? "";
}

async function depth(url: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

/** A failed event as Lambda keeps it after its retries: the event as is, RequestID / ErrorCode / ErrorMessage attributes. */
async function lambdaDeadLetter(url: string, event: unknown, message: string): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: JSON.stringify(event),
      MessageAttributes: {
        RequestID: { DataType: "String", StringValue: "7c3ab1e0-0c1f-4b7a-9f3e-2f1d2c3b4a5e" },
        ErrorCode: { DataType: "Number", StringValue: "200" },
        ErrorMessage: { DataType: "String", StringValue: message },
      },
    }),
  );
}

/** A failed event as EventBridge keeps it when it cannot deliver to a target: ERROR_CODE, RULE_ARN, ... */
async function eventBridgeDeadLetter(url: string, event: unknown): Promise<void> {
  const attribute = (StringValue: string) => ({ DataType: "String", StringValue });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: JSON.stringify(event),
      MessageAttributes: {
        ERROR_CODE: attribute("SDK_CLIENT_ERROR"),
        ERROR_MESSAGE: attribute("Unable to invoke Lambda function"),
        EXHAUSTED_RETRY_CONDITION: attribute("MaximumEventAgeInSeconds"),
        RETRY_ATTEMPTS: attribute("185"),
        RULE_ARN: attribute(`arn:aws:events:us-east-1:${ACCOUNT_ID}:rule/health`),
        TARGET_ARN: attribute(`arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:respond`),
      },
    }),
  );
}

async function lkr(args: readonly string[], options: { answer?: string; columns?: number } = {}) {
  const run = capturedIo({
    ...(options.answer === undefined ? {} : { ask: async () => options.answer as string }),
    ...(options.columns === undefined ? {} : { columns: options.columns }),
  });
  const code = await main([...args], { io: run.io, stackOutputs: async () => outputs });
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

beforeAll(async () => {
  useMoto(inject("motoEndpoint"));
  world = await new World(inject("motoEndpoint")).create();
  sqs = new SQSClient(motoClientConfig(inject("motoEndpoint")));
  outputs = {
    [STACK_OUTPUTS.incidentTableName]: world.tableName,
    [STACK_OUTPUTS.deadLetterQueueUrl]: await queue("respond-dlq"),
    [STACK_OUTPUTS.informationalQueueUrl]: await queue("informational"),
    [STACK_OUTPUTS.investigateDeadLetterQueueUrl]: await queue("investigate-dlq"),
    [STACK_OUTPUTS.investigateFunctionName]: `investigate-${world.suffix}`, // no such function in moto
  };
  main = (await import("../../cli/main.js")).main;
});

describe("lkr dlq", () => {
  it("lists each queue's depth, what its events are and why they failed, and leaves them where they are; redrive sends respond's to the informational queue, where the respond function contains the key", async () => {
    const respondDlq = outputs[STACK_OUTPUTS.deadLetterQueueUrl] as string;
    const informational = outputs[STACK_OUTPUTS.informationalQueueUrl] as string;
    const user = await world.user("dlq");
    const key = user.keys[0] as string;
    const finding = guardDutyEvent("iamuser-maliciousipcaller-custom.json", { key, user: user.name });
    const health = healthEvent("risk-credentials-exposed.json", [key], user.name);
    await lambdaDeadLetter(respondDlq, finding, "Task timed out after 60.00 seconds");
    await eventBridgeDeadLetter(respondDlq, health);

    const listed = await lkr(["dlq", "--json"]);
    expect(listed.code).toBe(EXIT.ok);
    const { queues, missing } = JSON.parse(listed.stdout) as {
      queues: { name: string; depth: { visible: number }; messages: Record<string, unknown>[] }[];
      missing: string[];
    };
    expect(queues.map((q) => [q.name, q.depth.visible])).toEqual([
      ["respond", 2],
      ["investigate", 0],
    ]);
    expect(missing).toEqual([
      expect.stringMatching(/^audit: Stack LeakedKeyResponder has no output AuditDeadLetterQueueUrl/),
    ]);
    const respond = queues[0]?.messages ?? [];
    expect(respond.map((m) => [m.source, m.detailType, m.eventId, m.error]).sort()).toEqual(
      [
        ["aws.guardduty", finding["detail-type"], finding.id, "200: Task timed out after 60.00 seconds"],
        [
          "aws.health",
          health["detail-type"],
          health.id,
          "SDK_CLIENT_ERROR: Unable to invoke Lambda function",
        ],
      ].sort(),
    );
    expect(respond.map((m) => m.body).sort()).toEqual(
      [JSON.stringify(finding), JSON.stringify(health)].sort(),
    );
    // Listed, not taken: both are visible again at once.
    expect(await depth(respondDlq)).toEqual({ visible: 2, inFlight: 0 });

    const table = await lkr(["dlq"], { columns: 100 });
    expect(table.stdout).toContain("respond: 2 messages");
    for (const line of table.stdout.split("\n").filter((l) => l.startsWith("  "))) {
      expect(line.length).toBeLessThanOrEqual(100);
    }

    // No terminal to ask in and no --yes: nothing is sent.
    const refused = await lkr(["dlq", "redrive", "--queue", "respond"]);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain("pass --yes");
    expect(await depth(respondDlq)).toEqual({ visible: 2, inFlight: 0 });

    const declined = await lkr(["dlq", "redrive", "--queue", "respond"], { answer: "n" });
    expect(declined.code).toBe(EXIT.failure);
    expect(await depth(respondDlq)).toEqual({ visible: 2, inFlight: 0 });

    const redriven = await lkr(["dlq", "redrive", "--queue", "respond", "--yes", "--json"]);
    expect(redriven.code).toBe(EXIT.ok);
    expect(JSON.parse(redriven.stdout)).toEqual({ queues: [{ name: "respond", redriven: 2, failed: [] }] });
    expect(await depth(respondDlq)).toEqual({ visible: 0, inFlight: 0 });

    // The respond function drains the informational queue: the redriven events are handled there.
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: informational, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const bodies = (received.Messages ?? []).map((m) => m.Body ?? "");
    expect(bodies.sort()).toEqual([JSON.stringify(finding), JSON.stringify(health)].sort());
    const handler = localRespondHandler(world, { logLevel: "SILENT" });
    const result = await handler({
      Records: (received.Messages ?? []).map((m) => ({
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body,
        attributes: {},
        messageAttributes: {},
        md5OfBody: m.MD5OfBody,
        eventSource: "aws:sqs",
        eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:informational-${world.suffix}`,
        awsRegion: "us-east-1",
      })),
    });
    expect(result).toMatchObject({ status: "handled", batchItemFailures: [] });
    expect(await world.keyStatuses(user.name)).toEqual({ [key]: "Inactive" });
    expect((await world.incident(`${ACCOUNT_ID}-${key}`))?.status).toBe("contained");
  });

  it("leaves a message it could not send back in its queue, says why, and exits 1", async () => {
    const investigateDlq = outputs[STACK_OUTPUTS.investigateDeadLetterQueueUrl] as string;
    await lambdaDeadLetter(
      investigateDlq,
      { source: "leaked-key-responder", "detail-type": "Incident Contained", id: "e-1" },
      "boom",
    );
    const run = await lkr(["dlq", "redrive", "--queue", "investigate", "--yes"]);
    expect(run.code).toBe(EXIT.failure);
    expect(run.stdout).toMatch(
      /investigate: 0 sent back, 1 FAILED \(left in the queue\):\n {2}\S+: .*lambda:InvokeFunction/,
    );
    // Still there: hidden while lkr held it, visible again once its visibility timeout ends.
    expect(await depth(investigateDlq)).toEqual({ visible: 0, inFlight: 1 });
  });

  it("says when the queues are empty, and refuses an unknown --queue or action", async () => {
    const empty = await lkr(["dlq", "redrive", "--queue", "respond", "--yes"]);
    expect(empty).toMatchObject({
      code: EXIT.ok,
      stdout: "The dead-letter queues are empty: nothing to redrive.\n",
    });
    const unknownQueue = await lkr(["dlq", "--queue", "respnd"]);
    expect(unknownQueue.code).toBe(EXIT.usage);
    expect(unknownQueue.stderr).toContain(
      '--queue "respnd": expected one of respond, investigate, audit, webhook',
    );
    const unknownAction = await lkr(["dlq", "purge"]);
    expect(unknownAction.code).toBe(EXIT.usage);
    expect(unknownAction.stderr).toContain('dlq "purge": expected list or redrive');
  });

  it("lists the webhook forwarder's queue only on a stack that has one, and keeps its SNS event until the forwarder took it back", async () => {
    // No webhook: not mentioned when listing everything, an error when asked for by name.
    const without = JSON.parse((await lkr(["dlq", "--json"])).stdout) as { missing: string[] };
    expect(without.missing.some((m) => m.startsWith("webhook"))).toBe(false);
    const asked = await lkr(["dlq", "--queue", "webhook"]);
    expect(asked.code).not.toBe(EXIT.ok);
    expect(asked.stderr).toContain(
      "webhook: Stack LeakedKeyResponder has no output WebhookDeadLetterQueueUrl",
    );

    const webhookDlq = await queue("webhook-dlq");
    outputs[STACK_OUTPUTS.webhookDeadLetterQueueUrl] = webhookDlq;
    outputs[STACK_OUTPUTS.webhookFunctionName] = `webhook-${world.suffix}`; // no such function in moto
    try {
      const snsEvent = {
        Records: [
          {
            EventSource: "aws:sns",
            EventVersion: "1.0",
            EventSubscriptionArn: `arn:aws:sns:us-east-1:${ACCOUNT_ID}:alerts:21be56ed-a058-49f5-8c98-aedd2564c486`,
            Sns: {
              Type: "Notification",
              MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
              TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT_ID}:alerts`,
              Subject: "Leaked key contained",
              Message: "{}",
              Timestamp: "2026-12-02T02:00:00.000Z",
            },
          },
        ],
      };
      await lambdaDeadLetter(webhookDlq, snsEvent, "webhook answered 500");
      const listed = JSON.parse((await lkr(["dlq", "--json"])).stdout) as {
        queues: { name: string; messages: Record<string, unknown>[] }[];
      };
      const webhook = listed.queues.find((q) => q.name === "webhook");
      expect(webhook?.messages.map((m) => [m.source, m.detailType, m.eventId, m.error, m.body])).toEqual([
        [
          "aws:sns",
          "Leaked key contained",
          "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
          "200: webhook answered 500",
          JSON.stringify(snsEvent),
        ],
      ]);
      // The forwarder could not be invoked: the message stays, the failure is said.
      const run = await lkr(["dlq", "redrive", "--queue", "webhook", "--yes"]);
      expect(run.code).toBe(EXIT.failure);
      expect(run.stdout).toMatch(
        /webhook: 0 sent back, 1 FAILED \(left in the queue\):\n {2}\S+: .*lambda:InvokeFunction/,
      );
      expect(await depth(webhookDlq)).toEqual({ visible: 0, inFlight: 1 });
    } finally {
      delete outputs[STACK_OUTPUTS.webhookDeadLetterQueueUrl];
      delete outputs[STACK_OUTPUTS.webhookFunctionName];
    }
  });
});
