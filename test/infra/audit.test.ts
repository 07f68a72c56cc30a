import { App } from "aws-cdk-lib";
import { Capture, Match, Template } from "aws-cdk-lib/assertions";
import * as events from "aws-cdk-lib/aws-events";
import { describe, expect, it } from "vitest";
import { Audit } from "../../infra/audit.js";
import { LeakedKeyResponder, type LeakedKeyResponderProps } from "../../infra/leaked-key-responder.js";
import { LeakedKeyResponderStack } from "../../infra/stack.js";
import { auditIamActionsFor } from "../../lambdas/core/audit/permissions.js";

const ENV = { account: "123456789012", region: "us-east-1" };
const NO_BUNDLING = { "aws:cdk:bundling-stacks": [] };

function template(audit: LeakedKeyResponderProps = {}): Template {
  const app = new App({ context: NO_BUNDLING });
  const stack = new LeakedKeyResponderStack(app, "LeakedKeyResponder", { env: ENV, responder: audit });
  return Template.fromStack(stack);
}

function auditFunction(t: Template): { logicalId: string; properties: Record<string, unknown> } {
  const found = t.findResources("AWS::Lambda::Function", {
    Properties: { Handler: "index.handler", Description: Match.stringLikeRegexp("^Key hygiene audit") },
  });
  const [logicalId, resource] = Object.entries(found)[0] ?? [];
  if (!logicalId) throw new Error("no audit function");
  return { logicalId, properties: (resource as { Properties: Record<string, unknown> }).Properties };
}

describe("the key hygiene audit in the stack", () => {
  const t = template();
  const fn = auditFunction(t);

  it("runs the audit function with the contract's variables and their defaults", () => {
    expect((fn.properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      INCIDENT_TABLE_NAME: { Ref: expect.stringMatching(/IncidentTable/) },
      ALERT_TOPIC_ARN: { Ref: expect.stringMatching(/AlertTopic/) },
      AUDIT_ALERT_MODE: "all",
      AUDIT_MAX_KEY_AGE_DAYS: "90",
      AUDIT_UNUSED_DAYS: "45",
      AUDIT_NEW_KEY_GRACE_DAYS: "7",
      AUDIT_ROOT_RECENT_DAYS: "30",
    });
    expect(fn.properties).toMatchObject({ Runtime: "nodejs24.x", Timeout: 900 });
  });

  it("schedules it daily at 06:00 UTC, with retries and a dead-letter queue", () => {
    const target = new Capture();
    t.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "cron(0 6 * * ? *)",
      Targets: [target],
    });
    expect(target.asObject()).toMatchObject({
      Arn: { "Fn::GetAtt": [fn.logicalId, "Arn"] },
      DeadLetterConfig: { Arn: { "Fn::GetAtt": [expect.stringMatching(/AuditDeadLetterQueue/), "Arn"] } },
      RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
    });
  });

  it("alarms on its errors and its dead letters", () => {
    const alarms = t.findResources("AWS::CloudWatch::Alarm", {
      Properties: { AlarmDescription: Match.stringLikeRegexp("[Kk]ey hygiene audit") },
    });
    expect(Object.keys(alarms)).toHaveLength(2);
  });

  it("grants the IAM reads of the audit's permission table and no IAM write", () => {
    const policies = t.findResources("AWS::IAM::Policy", {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp("AuditRole") }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const iamActions = actions.filter((a) => a.startsWith("iam:")).sort();
    expect(iamActions).toEqual([...auditIamActionsFor("*"), ...auditIamActionsFor("user")].sort());
    expect(iamActions.every((a) => /^iam:(Get|List|Generate)/.test(a))).toBe(true);
    expect(actions).not.toContain("dynamodb:Scan");
  });

  it("tags its role exempt, like the responder's own roles", () => {
    t.hasResourceProperties("AWS::IAM::Role", {
      Description: "leaked-key-responder audit function",
      Tags: Match.arrayWith([{ Key: "leaked-key-responder:exempt", Value: "true" }]),
    });
  });

  it("takes the schedule, alert mode and thresholds from the props", () => {
    const custom = template({
      audit: {
        schedule: events.Schedule.cron({ minute: "30", hour: "2" }),
        alertMode: "change-only",
        maxKeyAgeDays: 180,
      },
    });
    custom.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "cron(30 2 * * ? *)" });
    expect(
      (auditFunction(custom).properties.Environment as { Variables: Record<string, unknown> }).Variables,
    ).toMatchObject({
      AUDIT_ALERT_MODE: "change-only",
      AUDIT_MAX_KEY_AGE_DAYS: "180",
    });
  });

  it("names every bad audit prop in one error", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new LeakedKeyResponderStack(app, "Ok", { env: ENV });
    expect(
      () =>
        new LeakedKeyResponder(stack, "Bad", {
          audit: { alertMode: "weekly" as never, unusedDays: 0, newKeyGraceDays: -1 },
        }),
    ).toThrow(
      expect.objectContaining({
        message:
          "Invalid Audit props:\n" +
          '- alertMode is "weekly"; allowed: all, change-only\n' +
          "- unusedDays is 0; allowed: an integer from 1 to 3650\n" +
          "- newKeyGraceDays is -1; allowed: an integer from 0 to 3650",
      }),
    );
  });

  it("enforces nothing by default: no enforcement variables, no bus grant, no enforcement rule", () => {
    const variables = (fn.properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).not.toHaveProperty("AUDIT_ENFORCE");
    expect(variables).not.toHaveProperty("EVENT_BUS_NAME");
    expect(
      t.findResources("AWS::Events::Rule", {
        Properties: { Description: Match.stringLikeRegexp("enforcement") },
      }),
    ).toEqual({});
  });

  it("with enforce: hands the audit the policy, the exempt list and the responder's bus, and routes its signals to the respond function's queue", () => {
    const enforcing = template({
      exemptPrincipals: ["break-glass"],
      audit: { enforce: { "key-unused": 14, "key-old": 30 } },
    });
    expect(
      (auditFunction(enforcing).properties.Environment as { Variables: Record<string, unknown> }).Variables,
    ).toMatchObject({
      AUDIT_ENFORCE: "key-old=30,key-unused=14",
      EXEMPT_PRINCIPALS: "break-glass",
      EVENT_BUS_NAME: { Ref: expect.stringMatching(/ResponderBus/) },
    });
    enforcing.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: Match.stringLikeRegexp("ResponderBus") },
      EventPattern: {
        source: ["leaked-key-responder.audit"],
        "detail-type": ["Key Hygiene Enforcement Due"],
      },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("InformationalQueue"), "Arn"] },
          DeadLetterConfig: {
            Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondDeadLetterQueue"), "Arn"] },
          },
        }),
      ],
    });
  });

  it("names every bad enforce entry, and refuses enforcement without a bus", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new LeakedKeyResponderStack(app, "Ok", { env: ENV });
    expect(
      () =>
        new LeakedKeyResponder(stack, "Bad", {
          audit: { enforce: { "root-key": 3, "key-old": 400 } as never },
        }),
    ).toThrow(
      /enforce has "root-key" is not an enforceable kind;.*\n- enforce has key-old=400: days out of range/,
    );
    const responder = new LeakedKeyResponder(stack, "Good");
    expect(
      () =>
        new Audit(stack, "NoBus", {
          incidentTable: responder.incidentTable,
          alertTopic: responder.alertTopic,
          enforce: { "key-old": 30 },
        }),
    ).toThrow(/enforce names kinds but no eventBus carries their signals/);
  });
});
