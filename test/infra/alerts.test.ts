import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import type { LeakedKeyResponderProps } from "../../infra/leaked-key-responder.js";
import { LeakedKeyResponderStack } from "../../infra/stack.js";

const ENV = { account: "123456789012", region: "us-east-1" };

function template(responder: LeakedKeyResponderProps = {}): Template {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  return Template.fromStack(new LeakedKeyResponderStack(app, "LeakedKeyResponder", { env: ENV, responder }));
}

const chatTopicRef = { Ref: Match.stringLikeRegexp("ChatTopic") };

describe("Chatbot gets its own topic; every other subscriber the alert topic", () => {
  const t = template({
    slackChannel: { workspaceId: "T07EA123LEP", channelId: "C07EZ1ABC23" },
    teamsChannel: {
      teamId: "5f6c2d43-7c5b-4a3e-9a6e-0d7c3f2b1a00",
      tenantId: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
      channelId: "19:abc@thread.tacv2",
    },
  });

  it("subscribes the Slack and Teams channels to the chat topic, not to the alert topic", () => {
    t.hasResourceProperties("AWS::Chatbot::SlackChannelConfiguration", { SnsTopicArns: [chatTopicRef] });
    t.hasResourceProperties("AWS::Chatbot::MicrosoftTeamsChannelConfiguration", {
      SnsTopicArns: [chatTopicRef],
    });
  });

  it("encrypts the chat topic with the alert key, over TLS only, and names it to every function and to lkr", () => {
    t.hasResourceProperties("AWS::SNS::Topic", {
      DisplayName: "Leaked key responder (AWS Chatbot)",
      KmsMasterKeyId: { "Fn::GetAtt": [Match.stringLikeRegexp("AlertTopicKey"), "Arn"] },
    });
    const withChat = t.findResources("AWS::Lambda::Function", {
      Properties: { Environment: { Variables: Match.objectLike({ CHAT_TOPIC_ARN: chatTopicRef }) } },
    });
    // respond, investigate, audit.
    expect(Object.keys(withChat)).toHaveLength(3);
    t.hasOutput("ChatTopicArn", { Value: chatTopicRef });
  });
});
