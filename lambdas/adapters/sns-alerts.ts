import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { AlertPublisher, RenderedAlert } from "../core/ports.js";
import { call } from "./aws-errors.js";

/**
 * One SNS message with a body per protocol: email readers get text, AWS Chatbot (which
 * subscribes over HTTPS) gets its custom-notification JSON, machines get the incident JSON.
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
    https: alert.chat,
  });
}

export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(alert: RenderedAlert): Promise<void> {
    await call("sns:Publish", () =>
      this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: alert.subject,
          MessageStructure: "json",
          Message: snsMessageOf(alert),
        }),
      ),
    );
  }
}
