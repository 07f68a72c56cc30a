import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_QUEUES } from "../../cli/dead-letters.js";
import { alertSubscriberCount, requireAlertSubscriber } from "../../infra/alert-subscribers.js";
import { LeakedKeyResponderStack, type LeakedKeyResponderStackProps } from "../../infra/stack.js";

const ENV = { account: "123456789012", region: "us-east-1" };
const NO_BUNDLING = { "aws:cdk:bundling-stacks": [] };

function stackWith(props: LeakedKeyResponderStackProps) {
  const app = new App({ context: NO_BUNDLING, outdir: mkdtempSync(join(tmpdir(), "lkr-config-")) });
  const stack = new LeakedKeyResponderStack(app, "S", props);
  requireAlertSubscriber(stack.responder.alertTopic, stack.responder.chatTopic);
  return { app, stack };
}

describe("an alert topic nobody listens to", () => {
  it("fails synth for a known account, saying how to subscribe or opt out", () => {
    const { app } = stackWith({ env: ENV });
    expect(() => app.synth()).toThrow(
      /nobody is subscribed to the alert topic: set notificationEmails, .* or set allowNoSubscribers=true/,
    );
  });

  it.each([
    ["an email", { notificationEmails: ["secops@example.com"] }],
    ["a Slack channel", { slackChannel: { workspaceId: "T07EA123LEP", channelId: "C07EZ1ABC23" } }],
    [
      "a Teams channel",
      {
        teamsChannel: {
          teamId: "5d9b5f3e-1111-2222-3333-444455556666",
          tenantId: "6e0c6a4f-1111-2222-3333-444455556666",
          channelId: "19%3Aabc%40thread.tacv2",
        },
      },
    ],
  ])("synthesizes with %s subscribed", (_, responder) => {
    const { app, stack } = stackWith({ env: ENV, responder });
    expect(() => app.synth()).not.toThrow();
    // email on the alert topic; a Chatbot channel on the chat topic (which carries every alert too)
    expect(
      alertSubscriberCount(stack.responder.alertTopic) + alertSubscriberCount(stack.responder.chatTopic),
    ).toBe(1);
  });

  it("synthesizes with a Slack / Teams webhook forwarder subscribed", () => {
    const { app, stack } = stackWith({
      env: ENV,
      webhook: {
        secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:lkr/hook",
        format: "slack",
      },
    });
    expect(() => app.synth()).not.toThrow();
    expect(alertSubscriberCount(stack.responder.alertTopic)).toBe(1);
  });

  it("counts a subscription added in the deployer's own code after the responder was built", () => {
    const { app, stack } = stackWith({ env: ENV });
    stack.responder.alertTopic.addSubscription(
      new subscriptions.SqsSubscription(new sqs.Queue(stack, "Pager")),
    );
    expect(() => app.synth()).not.toThrow();
  });

  it("does not count a subscription to another topic", async () => {
    const { app, stack } = stackWith({ env: ENV });
    const { Topic } = await import("aws-cdk-lib/aws-sns");
    new Topic(stack, "Other").addSubscription(new subscriptions.EmailSubscription("x@example.com"));
    expect(() => app.synth()).toThrow(/nobody is subscribed/);
  });

  it("only warns for a template without an account (offline `npx cdk synth`: `cdk deploy` resolves it and fails)", () => {
    const { app, stack } = stackWith({});
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasWarning(
      "/S",
      Match.stringLikeRegexp("nobody is subscribed to the alert topic"),
    );
  });
});

/** Runs infra/app.ts the way `cdk synth` does: context as CDK_CONTEXT_JSON, settings as LKR_ variables. */
function synthApp(context: Record<string, unknown>, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "infra/app.ts"], {
    env: {
      PATH: process.env.PATH,
      CDK_OUTDIR: mkdtempSync(join(tmpdir(), "lkr-app-")),
      CDK_CONTEXT_JSON: JSON.stringify({ ...NO_BUNDLING, ...context }),
      CDK_DEFAULT_ACCOUNT: ENV.account,
      ...env,
    },
    encoding: "utf8",
  });
  return { code: result.status, stderr: result.stderr };
}

describe("infra/app.ts (what `cdk synth` runs)", { timeout: 300_000 }, () => {
  it("refuses an unknown context key with 'did you mean', one line per problem, every problem at once, no stack trace", () => {
    const run = synthApp(
      {
        notificationEmail: "secops@example.com",
        guardDutyContainMinSeverity: "99",
        investigationRegions: "mars-1",
      },
      { LKR_RESPONSE_MODES: "notify-only" },
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split("\n")).toEqual([
      "leaked-key-responder: 4 configuration problems",
      'error: context key "notificationEmail" is not a setting; did you mean "notificationEmails"?',
      'error: environment variable LKR_RESPONSE_MODES is not a setting; did you mean "LKR_RESPONSE_MODE"?',
      "error: guardDutyContainMinSeverity is 99; allowed: a number from 0 to 11 (a GuardDuty severity, 0 to 10; 11 contains by finding type only)",
      'error: investigationRegions contains "mars-1"; expected AWS region names such as eu-west-1',
    ]);
  });

  it("refuses a deployment nobody would hear unless allowNoSubscribers=true", () => {
    const silent = synthApp({});
    expect(silent.code).toBe(1);
    expect(silent.stderr).toMatch(/^error: \[LeakedKeyResponder\] nobody is subscribed to the alert topic/m);
    expect(synthApp({ allowNoSubscribers: "true" })).toEqual({ code: 0, stderr: "" });
  });
});

describe("the outputs `lkr dlq` reads", () => {
  it("name every dead-letter queue and where its messages go back to", () => {
    const { stack } = stackWith({ env: ENV, responder: { notificationEmails: ["secops@example.com"] } });
    const template = Template.fromStack(stack);
    const r = stack.responder;
    const ref = (construct: { node: { defaultChild?: unknown } }) => ({
      Ref: stack.getLogicalId(construct.node.defaultChild as never),
    });
    const expected: Record<string, unknown> = {
      DeadLetterQueueUrl: ref(r.deadLetterQueue),
      InformationalQueueUrl: ref(r.informationalQueue),
      InvestigateDeadLetterQueueUrl: ref(r.investigation.deadLetterQueue),
      InvestigateFunctionName: ref(r.investigation.investigateFunction),
      AuditDeadLetterQueueUrl: ref(r.audit.deadLetterQueue),
      AuditFunctionName: ref(r.audit.auditFunction),
    };
    for (const [name, value] of Object.entries(expected)) template.hasOutput(name, { Value: value });
    for (const queue of DEAD_LETTER_QUEUES.filter((q) => !q.optional)) {
      expect(Object.keys(expected)).toEqual(expect.arrayContaining([queue.output, queue.redrive.output]));
    }
    // No webhook, no webhook queue: lkr dlq says nothing about it.
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).not.toContain("WebhookDeadLetterQueueUrl");
    expect(outputs).not.toContain("WebhookFunctionName");
  });

  it("name the webhook forwarder's queue and function only when there is a webhook", () => {
    const { stack } = stackWith({
      env: ENV,
      webhook: {
        secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:lkr/hook",
        format: "teams",
      },
    });
    const template = Template.fromStack(stack);
    const forwarder = stack.responder.webhookForwarder;
    expect(forwarder).toBeDefined();
    const ref = (construct: { node: { defaultChild?: unknown } }) => ({
      Ref: stack.getLogicalId(construct.node.defaultChild as never),
    });
    template.hasOutput("WebhookDeadLetterQueueUrl", { Value: ref(forwarder?.deadLetterQueue as never) });
    template.hasOutput("WebhookFunctionName", { Value: ref(forwarder?.fn as never) });
    const webhook = DEAD_LETTER_QUEUES.find((q) => q.name === "webhook");
    expect(webhook).toMatchObject({
      output: "WebhookDeadLetterQueueUrl",
      redrive: { kind: "function", output: "WebhookFunctionName" },
      optional: true,
    });
    // The dashboard's dead-letter graph shows its depth too.
    const body = JSON.stringify(template.findResources("AWS::CloudWatch::Dashboard"));
    expect(body).toContain(stack.getLogicalId(forwarder?.deadLetterQueue.node.defaultChild as never));
  });
});
