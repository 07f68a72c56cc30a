import { describe, expect, it } from "vitest";
import { webhookAlertOf, webhookPayloadOf, webhookUrlOf } from "../../lambdas/core/webhook.js";
import { containedTopicMessage, KEY } from "../support/contained-alert.js";

const SUBJECT = "[CRITICAL] Exposed key AKIA...MPLE disabled - user alice, account 123456789012";
const FACTS: [string, string][] = [
  ["Incident", `123456789012-${KEY}`],
  ["Severity", "critical"],
  ["Decision", "contain"],
  ["Status", "contained"],
  ["Account", "123456789012"],
  ["Region", "us-east-1"],
  ["Access key", KEY],
  ["Signal", "AWS_RISK_CREDENTIALS_EXPOSED"],
];
const STEPS = [
  "1. Find every place this key is used (CI, servers, laptops) and move it to a new key, or better to a role.",
  "2. Look for persistence: new IAM users, access keys, login profiles, roles, policies, Lambda functions and EC2 instances in every region. The follow-up alert summarises what the key did.",
  "3. Remove the secret from wherever it leaked (rewriting history is not enough once it was public).",
  `4. After review, delete the key: aws iam delete-access-key --user-name alice --access-key-id ${KEY}`,
];
const RELEASE = `False alarm? npx leaked-key-responder release 123456789012-${KEY} --reason "<why this was a false alarm>" --stack S`;
const LINKS = [
  {
    label: "IAM user alice (security credentials)",
    url: "https://us-east-1.console.aws.amazon.com/iam/home#/users/details/alice?section=security_credentials",
  },
  {
    label: "CloudTrail event history of the key (us-east-1)",
    url: `https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events?AccessKeyId=${KEY}`,
  },
];

describe("webhookPayloadOf: a contained alert", () => {
  it("is a Slack Block Kit message: header, facts as fields, the steps (mrkdwn-escaped), console buttons", () => {
    expect(webhookPayloadOf("slack", containedTopicMessage())).toEqual({
      text: SUBJECT,
      blocks: [
        { type: "header", text: { type: "plain_text", text: SUBJECT } },
        {
          type: "section",
          fields: FACTS.map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${value}` })),
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: [...STEPS, RELEASE.replace("<", "&lt;").replace(">", "&gt;")].join("\n"),
          },
        },
        {
          type: "actions",
          elements: LINKS.map((link) => ({
            type: "button",
            text: { type: "plain_text", text: link.label },
            url: link.url,
          })),
        },
      ],
    });
  });

  it("is a Teams message with one Adaptive Card: title, a fact set, the steps, console links", () => {
    expect(webhookPayloadOf("teams", containedTopicMessage())).toEqual({
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          contentUrl: null,
          content: {
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            type: "AdaptiveCard",
            version: "1.4",
            body: [
              { type: "TextBlock", text: SUBJECT, weight: "Bolder", size: "Medium", wrap: true },
              { type: "FactSet", facts: FACTS.map(([title, value]) => ({ title, value })) },
              ...[...STEPS, RELEASE].map((text) => ({ type: "TextBlock", text, wrap: true })),
            ],
            actions: LINKS.map((link) => ({ type: "Action.OpenUrl", title: link.label, url: link.url })),
          },
        },
      ],
    });
  });
});

// A CloudWatch alarm's SNS message as AWS publishes it (aws/aws-lambda-go,
// events/testdata/cloudwatch-alarm-sns-payload-single-metric.json, Trigger trimmed).
const ALARM_MESSAGE = JSON.stringify({
  AlarmName: "EXAMPLE",
  AlarmDescription: "EXAMPLE",
  AWSAccountId: "123456789012",
  NewStateValue: "ALARM",
  NewStateReason:
    "Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
  StateChangeTime: "2015-06-03T17:43:27.123+0000",
  Region: "EXAMPLE",
  AlarmArn: "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE",
  OldStateValue: "INSUFFICIENT_DATA",
});

describe("webhookAlertOf", () => {
  it("tells a CloudWatch alarm (the responder's failure alarms) by its name, state and reason", () => {
    expect(webhookAlertOf({ subject: 'ALARM: "EXAMPLE" in EXAMPLE', message: ALARM_MESSAGE })).toEqual({
      title: 'ALARM: "EXAMPLE" in EXAMPLE',
      facts: [
        ["Alarm", "EXAMPLE"],
        ["State", "ALARM"],
        ["Account", "123456789012"],
        ["Region", "EXAMPLE"],
      ],
      lines: [
        "EXAMPLE",
        "Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
      ],
      links: [],
    });
  });

  it("keeps anything else as its subject and text, so nothing published to the topic is lost", () => {
    expect(webhookAlertOf({ subject: undefined, message: "plain <b>text</b>" })).toEqual({
      title: "leaked-key-responder alert",
      facts: [],
      lines: ["plain <b>text</b>"],
      links: [],
    });
    expect(webhookPayloadOf("slack", { subject: "S", message: "a <!channel> ping & more" })).toEqual({
      text: "S",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "S" } },
        { type: "section", text: { type: "mrkdwn", text: "a &lt;!channel&gt; ping &amp; more" } },
      ],
    });
  });

  it("cuts a Slack header to Slack's 150 characters", () => {
    const long = "x".repeat(200);
    const payload = webhookPayloadOf("slack", { subject: long, message: "m" }) as {
      blocks: { text: { text: string } }[];
    };
    expect(payload.blocks[0]?.text.text).toBe(`${"x".repeat(149)}…`);
  });
});

describe("webhookUrlOf", () => {
  it("takes the secret string as the https URL", () => {
    expect(webhookUrlOf(" https://hooks.slack.com/services/T0/B0/x \n")).toBe(
      "https://hooks.slack.com/services/T0/B0/x",
    );
  });

  it("refuses a secret that holds no URL, or a URL that is not https", () => {
    expect(() => webhookUrlOf("")).toThrow("the webhook secret does not hold a URL");
    expect(() => webhookUrlOf('{"url":"https://x"}')).toThrow("the webhook secret does not hold a URL");
    expect(() => webhookUrlOf("http://hooks.example.com/x")).toThrow(
      "the webhook secret holds a http: URL; expected https",
    );
  });
});
