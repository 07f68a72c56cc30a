import * as z from "zod/mini";
import { InvalidEventError } from "../errors.js";

/**
 * A batch from the informational queue: EventBridge put each event there whole, as the message
 * body (an SQS rule target), and the function drains it through an event source mapping.
 */
const QueueBatchSchema = z.object({
  Records: z
    .array(z.looseObject({ eventSource: z.literal("aws:sqs"), messageId: z.string(), body: z.string() }))
    .check(z.minLength(1)),
});

export interface QueuedEvent {
  readonly messageId: string;
  readonly body: string;
}

/** The queued events when `event` is an SQS batch; undefined for anything else (an EventBridge event). */
export function queueBatchOf(event: unknown): readonly QueuedEvent[] | undefined {
  const result = QueueBatchSchema.safeParse(event);
  return result.success ? result.data.Records.map(({ messageId, body }) => ({ messageId, body })) : undefined;
}

/** The EventBridge event a queued message carries, or an InvalidEventError when the body is not JSON. */
export function queuedEventOf(message: QueuedEvent): unknown {
  try {
    return JSON.parse(message.body);
  } catch (error) {
    throw new InvalidEventError(
      "queued message is not a JSON event",
      "aws:sqs",
      [`message ${message.messageId}`],
      {
        cause: error,
      },
    );
  }
}
