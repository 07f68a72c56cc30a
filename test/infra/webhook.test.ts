import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { alertSubscriberCount } from "../../infra/alert-subscribers.js";
import { LeakedKeyResponderStack, type LeakedKeyResponderStackProps } from "../../infra/stack.js";

const ENV = { account: "123456789012", region: "us-east-1" };
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:lkr/teams-webhook-AbCdEf";

function stackWith(props: LeakedKeyResponderStackProps = {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  return new LeakedKeyResponderStack(app, "LeakedKeyResponder", { env: ENV, ...props });
}

describe("the Slack / Teams webhook forwarder", () => {
  const stack = stackWith({ webhook: { secretArn: SECRET, format: "teams" } });
  const t = Template.fromStack(stack);
  const forwarder = stack.responder.webhookForwarder;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

  it("is a function subscribed to the alert topic, told the secret and the format", () => {
    expect(forwarder).toBeDefined();
    t.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "lambda",
      TopicArn: { Ref: id(stack.responder.alertTopic) },
      Endpoint: { "Fn::GetAtt": [id(forwarder?.fn as never), "Arn"] },
    });
    t.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          WEBHOOK_SECRET_ARN: SECRET,
          WEBHOOK_FORMAT: "teams",
          WEBHOOK_TIMEOUT_MS: "5000",
        }),
      },
      DeadLetterConfig: { TargetArn: { "Fn::GetAtt": [id(forwarder?.deadLetterQueue as never), "Arn"] } },
    });
    // SNS invokes asynchronously: two Lambda retries, then the forwarder's own DLQ.
    t.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: id(forwarder?.fn as never) },
      MaximumRetryAttempts: 2,
    });
  });

  it("counts as a listener of the alert topic", () => {
    expect(alertSubscriberCount(stack.responder.alertTopic)).toBe(1);
    expect(alertSubscriberCount(stackWith().responder.alertTopic)).toBe(0);
  });

  it("alarms on its errors and its DLQ, and the alert topic lets those alarms publish", () => {
    expect(forwarder?.alarms).toHaveLength(2);
    const policies = t.findResources("AWS::SNS::TopicPolicy");
    const alarmArns = JSON.stringify(policies);
    for (const alarm of forwarder?.alarms ?? []) {
      expect(alarmArns).toContain(stack.getLogicalId(alarm.node.defaultChild as never));
    }
  });

  it("reads only its secret by its complete ARN; a partial ARN is matched with its random suffix", () => {
    t.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: "ReadWebhookSecret",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: SECRET,
          },
        ]),
      },
    });
    const partial = stackWith({
      webhook: {
        secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:lkr/slack-webhook",
        format: "slack",
      },
    });
    Template.fromStack(partial).hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: "ReadWebhookSecret",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:lkr/slack-webhook-??????",
          },
        ]),
      },
    });
  });

  it("is left out without a webhook", () => {
    const plain = stackWith();
    expect(plain.responder.webhookForwarder).toBeUndefined();
    Template.fromStack(plain).resourcePropertiesCountIs("AWS::SNS::Subscription", { Protocol: "lambda" }, 0);
  });
});
