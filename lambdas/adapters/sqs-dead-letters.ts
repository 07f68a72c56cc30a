import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { call } from "./aws-errors.js";

/** One message of a dead-letter queue as lkr reads it: body, attributes, and the handle to act on it. */
export interface DeadLetter {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** SentTimestamp as ISO time, when SQS says. */
  readonly sentAt: string | undefined;
  readonly receiveCount: number | undefined;
  /** String message attributes: Lambda's ErrorCode/ErrorMessage/RequestID, EventBridge's ERROR_CODE/RULE_ARN/... */
  readonly attributes: Readonly<Record<string, string>>;
}

function deadLetterOf(message: Message): DeadLetter | undefined {
  if (!message.MessageId || !message.ReceiptHandle) return undefined;
  const sent = Number(message.Attributes?.SentTimestamp);
  const received = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? "",
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : undefined,
    receiveCount: Number.isFinite(received) && received > 0 ? received : undefined,
    attributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).flatMap(([name, value]) =>
        value.StringValue === undefined ? [] : [[name, value.StringValue]],
      ),
    ),
  };
}

/** A dead-letter queue (and the queues lkr sends its messages back to), through SQS. */
export class SqsDeadLetters {
  constructor(private readonly client: SQSClient) {}

  /** Messages waiting, and messages received by someone and not yet deleted. */
  async depth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const out = await call("sqs:GetQueueAttributes", () =>
      this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      ),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /**
   * Up to 10 messages, hidden from other readers for `hideSeconds` (SQS has no peek). Waits up
   * to a second, so SQS asks all its servers and an empty answer means an empty queue.
   */
  async receive(queueUrl: string, hideSeconds: number): Promise<DeadLetter[]> {
    const out = await call("sqs:ReceiveMessage", () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: hideSeconds,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
          MessageAttributeNames: ["All"],
        }),
      ),
    );
    return (out.Messages ?? []).flatMap((m) => deadLetterOf(m) ?? []);
  }

  /** Makes a received message visible again at once (left where it was). */
  async release(queueUrl: string, message: DeadLetter): Promise<void> {
    await call("sqs:ChangeMessageVisibility", () =>
      this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.receiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    );
  }

  async delete(queueUrl: string, message: DeadLetter): Promise<void> {
    await call("sqs:DeleteMessage", () =>
      this.client.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }),
      ),
    );
  }

  /** Puts a body on a queue (the one whose consumer processes it again). */
  async send(queueUrl: string, body: string): Promise<void> {
    await call("sqs:SendMessage", () =>
      this.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body })),
    );
  }
}
