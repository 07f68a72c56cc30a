import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { AlertPublisher, RenderedAlert } from "../core/ports.js";
import { call } from "./aws-errors.js";

/**
 * The alert topic's message, a body per protocol: email readers get text, every machine (SQS,
 * Lambda, Firehose, HTTP and HTTPS endpoints such as PagerDuty or a webhook) the documented
 * incident JSON. AWS Chatbot also subscribes over HTTPS, so its JSON cannot travel here: it goes
 * to the chat topic (chatMessageOf), which only Chatbot subscribes to.
 */
export function snsMessageOf(alert: RenderedAlert): string {
  return JSON.stringify({
    default: alert.text,
    email: alert.text,
    "email-json": alert.machine,
    sqs: alert.machine,
    lambda: alert.machine,
    firehose: alert.machine,
    http: alert.machine,
    https: alert.machine,
  });
}

/** The chat topic's message: AWS Chatbot's custom notification JSON, whatever the protocol. */
export function chatMessageOf(alert: RenderedAlert): string {
  return JSON.stringify({ default: alert.chat });
}

/**
 * Publishes each alert to the alert topic and, when there is one, to the chat topic (both at once:
 * a failure of either fails the publish, so a retry may alert twice, never not at all).
 */
export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    /** The chat topic (CHAT_TOPIC_ARN) AWS Chatbot subscribes to; undefined: no chat copy. */
    private readonly chatTopicArn?: string | undefined,
  ) {}

  async publish(alert: RenderedAlert): Promise<void> {
    const send = (topicArn: string, message: string) =>
      call("sns:Publish", () =>
        this.client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: alert.subject,
            MessageStructure: "json",
            Message: message,
          }),
        ),
      );
    await Promise.all([
      send(this.topicArn, snsMessageOf(alert)),
      ...(this.chatTopicArn === undefined ? [] : [send(this.chatTopicArn, chatMessageOf(alert))]),
    ]);
  }
}
