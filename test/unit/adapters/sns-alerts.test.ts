import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { SnsAlertPublisher } from "../../../lambdas/adapters/sns-alerts.js";
import { TransientAwsError } from "../../../lambdas/core/errors.js";

const sns = mockClient(SNSClient);
const client = new SNSClient({ region: "us-east-1" });
const ALERTS = "arn:aws:sns:us-east-1:123456789012:alerts";
const CHAT = "arn:aws:sns:us-east-1:123456789012:chat";
const ALERT = { subject: "[HIGH] s", text: "TEXT", chat: '{"version":"1.0"}', machine: '{"incidentId":"i"}' };

beforeEach(() => sns.reset());

describe("SnsAlertPublisher", () => {
  it("sends the alert topic a body per protocol (HTTPS: the incident JSON) and the chat topic only Chatbot's JSON", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    await new SnsAlertPublisher(client, ALERTS, CHAT).publish(ALERT);
    const sent = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(2);
    const byTopic = Object.fromEntries(sent.map((input) => [input.TopicArn, input]));
    expect(byTopic[ALERTS]).toMatchObject({ Subject: ALERT.subject, MessageStructure: "json" });
    expect(JSON.parse(byTopic[ALERTS]?.Message ?? "")).toMatchObject({
      email: "TEXT",
      https: ALERT.machine,
      http: ALERT.machine,
    });
    expect(byTopic[CHAT]).toEqual({
      TopicArn: CHAT,
      Subject: ALERT.subject,
      MessageStructure: "json",
      Message: JSON.stringify({ default: ALERT.chat }),
    });
  });

  it("without a chat topic publishes once, to the alert topic", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    await new SnsAlertPublisher(client, ALERTS).publish(ALERT);
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).toEqual([ALERTS]);
  });

  it("fails when the chat copy fails (retried: an alert may go twice, never not at all)", async () => {
    sns.on(PublishCommand, { TopicArn: ALERTS }).resolves({ MessageId: "m" });
    sns
      .on(PublishCommand, { TopicArn: CHAT })
      .rejects(Object.assign(new Error("denied"), { name: "ThrottlingException" }));
    await expect(new SnsAlertPublisher(client, ALERTS, CHAT).publish(ALERT)).rejects.toThrow(
      TransientAwsError,
    );
  });
});
