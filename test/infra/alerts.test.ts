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

interface Widget {
  properties: { title: string; metrics: (string | { expression?: string; stat?: string })[][] };
}

/** The dashboard's widgets, its body's `Fn::Join` joined with each reference as `<ref>`. */
function widgetsOf(t: Template): Widget[] {
  const [dashboard] = Object.values(t.findResources("AWS::CloudWatch::Dashboard"));
  if (dashboard === undefined) throw new Error("no dashboard");
  const [, parts] = dashboard.Properties.DashboardBody["Fn::Join"] as [string, unknown[]];
  const body = parts.map((p) => (typeof p === "string" ? p : "<ref>")).join("");
  return (JSON.parse(body) as { widgets: Widget[] }).widgets;
}

describe("the responder's dashboard", () => {
  it("graphs signals by source, contained / notified, time to contain, failures, dead letters and investigate duration", () => {
    const t = template();
    t.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    const widgets = Object.fromEntries(widgetsOf(t).map((w) => [w.properties.title, w.properties.metrics]));
    expect(Object.keys(widgets)).toEqual([
      "Signals by source",
      "Incidents contained / notified",
      "Time to contain (signal to key disabled, ms)",
      "Failures",
      "Dead-letter queues (messages waiting)",
      "Investigate duration (ms)",
    ]);
    // The respond function's Powertools metrics, by the names and dimensions it emits them with.
    expect(widgets["Signals by source"]).toEqual([
      [{ expression: `SEARCH('{LeakedKeyResponder,Source,service} MetricName="Signals"', 'Sum', 300)` }],
    ]);
    const own = (metric: string) => ["LeakedKeyResponder", metric, "service", "leaked-key-responder"];
    expect(widgets["Incidents contained / notified"]?.map((m) => m.slice(0, 4))).toEqual([
      own("IncidentsContained"),
      own("IncidentsNotified"),
    ]);
    expect(
      widgets["Time to contain (signal to key disabled, ms)"]?.map((m) => (m[4] as { stat: string }).stat),
    ).toEqual(["p50", "p99", "Maximum"]);
    expect(widgets.Failures?.map((m) => m[1])).toEqual([
      "ContainmentFailures",
      undefined,
      "Errors",
      "Errors",
      "Errors",
    ]);
    expect(widgets["Dead-letter queues (messages waiting)"]).toHaveLength(4);
    expect(widgets["Investigate duration (ms)"]?.map((m) => m.slice(0, 2))).toEqual([
      ["AWS/Lambda", "Duration"],
      ["AWS/Lambda", "Duration"],
    ]);
  });

  it("is left out with dashboard: false", () => {
    template({ dashboard: false }).resourceCountIs("AWS::CloudWatch::Dashboard", 0);
  });
});
