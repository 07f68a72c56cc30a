import * as z from "zod/mini";
import { STACK_OUTPUTS } from "../lambdas/core/contract.js";

/** Where `lkr dlq redrive` sends a queue's messages back to be processed again. */
export type RedriveTarget =
  /** A queue whose consumer handles each message as it would the original event. */
  | { readonly kind: "queue"; readonly output: string }
  /** A function invoked asynchronously with the message body, as EventBridge invoked it. */
  | { readonly kind: "function"; readonly output: string };

export interface DeadLetterQueueSpec {
  /** The name `--queue` takes. */
  readonly name: string;
  /** The stack output holding the queue's URL. */
  readonly output: string;
  readonly redrive: RedriveTarget;
  /**
   * The stack has this queue only with some props (the webhook forwarder's): when its output is
   * missing, `lkr dlq` says nothing about it unless it was asked for by `--queue`.
   */
  readonly optional?: boolean;
}

/**
 * The responder's dead-letter queues. Every message in them is the EventBridge event that failed
 * (SQS moved it from the informational queue, Lambda kept it after its retries, or EventBridge could
 * not deliver it). The respond function handles an event from its informational queue exactly as
 * one invoked alone, so respond's are sent back there; investigate and audit have no queue in front.
 */
export const DEAD_LETTER_QUEUES: readonly DeadLetterQueueSpec[] = [
  {
    name: "respond",
    output: STACK_OUTPUTS.deadLetterQueueUrl,
    redrive: { kind: "queue", output: STACK_OUTPUTS.informationalQueueUrl },
  },
  {
    name: "investigate",
    output: STACK_OUTPUTS.investigateDeadLetterQueueUrl,
    redrive: { kind: "function", output: STACK_OUTPUTS.investigateFunctionName },
  },
  {
    name: "audit",
    output: STACK_OUTPUTS.auditDeadLetterQueueUrl,
    redrive: { kind: "function", output: STACK_OUTPUTS.auditFunctionName },
  },
  // SNS invokes the forwarder asynchronously: Lambda keeps the original SNS event (Records[0].Sns)
  // as the message body, so invoking it again with that body posts the alert as the first time.
  {
    name: "webhook",
    output: STACK_OUTPUTS.webhookDeadLetterQueueUrl,
    redrive: { kind: "function", output: STACK_OUTPUTS.webhookFunctionName },
    optional: true,
  },
];

/** The parts of an EventBridge event a listing shows; anything else stays in the body. */
const EventHeadSchema = z.looseObject({
  id: z.optional(z.string()),
  source: z.optional(z.string()),
  "detail-type": z.optional(z.string()),
  time: z.optional(z.string()),
});

/** The parts of an SNS event (the forwarder's) a listing shows: the topic's message, not an EventBridge event. */
const SnsEventSchema = z.looseObject({
  Records: z.tuple([
    z.looseObject({
      EventSource: z.literal("aws:sns"),
      Sns: z.looseObject({ MessageId: z.optional(z.string()), Subject: z.optional(z.nullable(z.string())) }),
    }),
  ]),
});

/** Why a message failed: Lambda's async-invoke DLQ attributes, or EventBridge's target DLQ ones. */
const ERROR_ATTRIBUTES = [
  ["ErrorCode", "ErrorMessage"],
  ["ERROR_CODE", "ERROR_MESSAGE"],
] as const;

export interface DeadLetterSummary {
  readonly source: string | undefined;
  readonly detailType: string | undefined;
  readonly eventId: string | undefined;
  /** `<code>: <message>` from the message's attributes, when it says. */
  readonly error: string | undefined;
}

/** What a dead letter is about and why it failed, from its body and attributes (a body that is not JSON says so). */
export function summarizeDeadLetter(
  body: string,
  attributes: Readonly<Record<string, string>>,
): DeadLetterSummary {
  let head: z.infer<typeof EventHeadSchema> = {};
  try {
    const json: unknown = JSON.parse(body);
    const sns = SnsEventSchema.safeParse(json);
    const parsed = EventHeadSchema.safeParse(json);
    if (sns.success) {
      const { MessageId, Subject } = sns.data.Records[0].Sns;
      head = { source: "aws:sns", "detail-type": Subject ?? undefined, id: MessageId };
    } else if (parsed.success) head = parsed.data;
  } catch {
    head = { source: "(not JSON)" };
  }
  const errors = ERROR_ATTRIBUTES.flatMap(([code, message]) =>
    attributes[code] === undefined && attributes[message] === undefined
      ? []
      : [[attributes[code], attributes[message]].filter((part) => part !== undefined).join(": ")],
  );
  return {
    source: head.source,
    detailType: head["detail-type"],
    eventId: head.id,
    error: errors[0],
  };
}
