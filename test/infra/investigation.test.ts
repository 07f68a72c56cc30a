import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { Investigation, type InvestigationProps } from "../../infra/investigation.js";

const ENV = { account: "123456789012", region: "us-east-1" };

/** A stack holding a table and an encrypted topic like the responder's, and the construct under test. */
function build(props: Partial<InvestigationProps> = {}, context: Record<string, unknown> = {}) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "lkr-investigation-")), context });
  const stack = new Stack(app, "InvestigationTest", { env: ENV });
  const incidentTable = new dynamodb.Table(stack, "IncidentTable", {
    partitionKey: { name: "incidentId", type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const key = new kms.Key(stack, "AlertTopicKey", {
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  key.grant(new iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
  const alertTopic = new sns.Topic(stack, "AlertTopic", { masterKey: key, enforceSSL: true });
  const eventBus = new events.EventBus(stack, "ResponderBus");
  const investigation = new Investigation(stack, "Investigation", {
    incidentTable,
    alertTopic,
    eventBus,
    ...props,
  });
  return { app, stack, investigation };
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Sid?: string };

describe("Investigation construct", () => {
  let template: Template;
  let assemblyDir: string;
  let statements: Statement[];
  beforeAll(() => {
    const { app, stack } = build({ regions: ["eu-west-1", "ap-southeast-1"] });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    assemblyDir = app.synth().directory; // bundles the handler with esbuild; throws on unacknowledged cdk-nag findings
    template = Template.fromStack(stack);
    statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
  }, 180_000);

  /** The investigate role's own statements (the schedule role's are asserted below). */
  function investigateStatements(): Statement[] {
    return Object.values(
      template.findResources("AWS::IAM::Policy", {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp("InvestigateRole") }] },
      }),
    ).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
  }

  it("gives the containment checks' schedules a role that may invoke the investigate function and fill its DLQ, nothing more, and creates them in the stack's group, passing only that role to Scheduler only", () => {
    const scheduleStatements = Object.values(
      template.findResources("AWS::IAM::Policy", {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp("ContainmentCheckRole") }] },
      }),
    ).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
    expect(scheduleStatements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      "lambda:InvokeFunction",
      "sqs:SendMessage",
    ]);
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: "scheduler.amazonaws.com" },
            Condition: Match.objectLike({ StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } }),
          }),
        ],
      },
    });
    const pass = investigateStatements().find((s) => [s.Action].flat().includes("iam:PassRole"));
    expect(pass).toMatchObject({
      Resource: { "Fn::GetAtt": [expect.stringMatching(/ContainmentCheckRole/), "Arn"] },
      Condition: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
    });
    const group = Object.values(template.findResources("AWS::Scheduler::ScheduleGroup"))[0] as {
      Properties: { Name: string };
    };
    const create = investigateStatements().find((s) =>
      [s.Action].flat().includes("scheduler:CreateSchedule"),
    );
    expect(JSON.stringify(create?.Resource)).toContain(`:schedule/${group.Properties.Name}/*`);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          CONFIRM_AFTER_MINUTES: "30",
          SCHEDULE_GROUP_NAME: { Ref: Match.stringLikeRegexp("ContainmentCheckGroup") },
          SCHEDULE_ROLE_ARN: { "Fn::GetAtt": [Match.stringLikeRegexp("ContainmentCheckRole"), "Arn"] },
        }),
      },
    });
  });

  it("passes cdk-nag AwsSolutions with no unacknowledged finding", () => {
    const report = JSON.parse(readFileSync(join(assemblyDir, "validation-report.json"), "utf8")) as {
      pluginReports: { pluginName: string; violations?: unknown[] }[];
    };
    expect(report.pluginReports.map((r) => [r.pluginName, r.violations ?? []])).toEqual([
      ["AwsSolutions", []],
    ]);
  });

  it("runs the investigate function on Node.js 24, arm64, 1 GB, 15 minutes, with its settings", () => {
    template.resourceCountIs("AWS::Lambda::Function", 1);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "index.handler",
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      MemorySize: 1024,
      Timeout: 900,
      LoggingConfig: Match.objectLike({ LogFormat: "JSON", LogGroup: Match.anyValue() }),
      DeadLetterConfig: {
        TargetArn: { "Fn::GetAtt": [Match.stringLikeRegexp("InvestigateDeadLetterQueue"), "Arn"] },
      },
      Environment: {
        Variables: {
          INCIDENT_TABLE_NAME: { Ref: Match.stringLikeRegexp("IncidentTable") },
          ALERT_TOPIC_ARN: { Ref: Match.stringLikeRegexp("AlertTopic") },
          INVESTIGATION_REGIONS: "us-east-1,eu-west-1,ap-southeast-1",
          LOOKBACK_HOURS: "72",
          MAX_LOOKBACK_DAYS: "90",
          POWERTOOLS_SERVICE_NAME: "leaked-key-responder",
          POWERTOOLS_LOG_LEVEL: "INFO",
        },
      },
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 365 });
  });

  it("triggers on exactly the responder's Incident Contained event on the responder's bus, with retries, an age limit and its own DLQ", () => {
    template.resourceCountIs("AWS::Events::Rule", 1);
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: Match.stringLikeRegexp("ResponderBus") },
      EventPattern: { source: ["leaked-key-responder"], "detail-type": ["Incident Contained"] },
      State: "ENABLED",
      Targets: [
        {
          Id: Match.anyValue(),
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("InvestigateFunction"), "Arn"] },
          DeadLetterConfig: {
            Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("InvestigateDeadLetterQueue"), "Arn"] },
          },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        },
      ],
    });
    template.resourceCountIs("AWS::SQS::Queue", 1);
    template.hasResourceProperties("AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
          }),
        ]),
      },
    });
  });

  it("may call CloudTrail's LookupEvents and nothing else of CloudTrail; * only for that", () => {
    const cloudtrail = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith("cloudtrail:")));
    expect(cloudtrail).toEqual([
      { Sid: "LookUpCloudTrailEvents", Effect: "Allow", Action: "cloudtrail:LookupEvents", Resource: "*" },
    ]);
    expect(statements.filter((s) => s.Resource === "*")).toEqual(cloudtrail);
  });

  it("may read and update the incident table, publish to the alert topic and fill its own DLQ, hand persistence over and schedule its checks, nothing more", () => {
    const actions = investigateStatements()
      .filter((s) => s.Effect === "Allow")
      .flatMap((s) => [s.Action].flat());
    expect([...new Set(actions)].sort()).toEqual([
      "cloudtrail:LookupEvents",
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
      "events:PutEvents",
      "iam:GetRole",
      "iam:PassRole",
      "kms:Decrypt",
      "kms:GenerateDataKey*",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "scheduler:CreateSchedule",
      "sns:Publish",
      "sqs:SendMessage",
    ]);
    const table = statements.find((s) => [s.Action].flat().includes("dynamodb:UpdateItem"));
    expect(JSON.stringify(table?.Resource)).toMatch(/IncidentTable/);
    // Only the investigation's own attributes of an incident, the key included.
    expect(table).toMatchObject({
      Action: "dynamodb:UpdateItem",
      Condition: {
        "ForAllValues:StringEquals": {
          "dynamodb:Attributes": [
            "incidentId",
            "investigation",
            "investigationFingerprint",
            "investigationLastEventAt",
            "investigatedAt",
            "investigatedContainment",
            "containmentCheck",
            "confirmedAt",
          ],
        },
      },
    });
    const publish = statements.find((s) => [s.Action].flat().includes("sns:Publish"));
    expect(publish?.Resource).toEqual({ Ref: expect.stringMatching(/AlertTopic/) });
    const kms = statements.find((s) => [s.Action].flat().includes("kms:GenerateDataKey*"));
    expect(kms?.Resource).toEqual({ "Fn::GetAtt": [expect.stringMatching(/AlertTopicKey/), "Arn"] });
    const dlq = statements.find((s) => [s.Action].flat().includes("sqs:SendMessage"));
    expect(dlq?.Resource).toEqual({
      "Fn::GetAtt": [expect.stringMatching(/InvestigateDeadLetterQueue/), "Arn"],
    });
  });

  it("alarms to the alert topic on function errors and on messages in its DLQ", () => {
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")).map(
      (a) =>
        (
          a as {
            Properties: {
              MetricName: string;
              Threshold: number;
              ComparisonOperator: string;
              AlarmActions: unknown[];
            };
          }
        ).Properties,
    );
    expect(alarms.map((a) => [a.MetricName, a.Threshold, a.ComparisonOperator]).sort()).toEqual([
      ["ApproximateNumberOfMessagesVisible", 1, "GreaterThanOrEqualToThreshold"],
      ["Errors", 1, "GreaterThanOrEqualToThreshold"],
    ]);
    for (const alarm of alarms)
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/AlertTopic/) }]);
  });
});

describe("Investigation props", () => {
  const NO_BUNDLING = { "aws:cdk:bundling-stacks": [] };

  it("searches us-east-1 alone by default", () => {
    const { stack } = build({}, NO_BUNDLING);
    Template.fromStack(stack).hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ INVESTIGATION_REGIONS: "us-east-1" }) },
    });
  });

  it("rejects a region that is not one", () => {
    expect(() => build({ regions: ["eu-west-1", "Frankfurt"] }, NO_BUNDLING)).toThrow(
      /regions contains "Frankfurt"; expected AWS region names such as eu-west-1/,
    );
  });

  it("checks containment after the minutes given, whole minutes from 5 to 24 hours", () => {
    const { stack } = build({ confirmContainmentAfter: Duration.minutes(45) }, NO_BUNDLING);
    Template.fromStack(stack).hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ CONFIRM_AFTER_MINUTES: "45" }) },
    });
    expect(() => build({ confirmContainmentAfter: Duration.minutes(2) }, NO_BUNDLING)).toThrow(
      /confirmContainmentAfter is 2 minutes; expected whole minutes from 5 minutes to 24 hours/,
    );
    expect(() => build({ confirmContainmentAfter: Duration.seconds(400) }, NO_BUNDLING)).toThrow(
      /confirmContainmentAfter is 6\.6+7 minutes/,
    );
  });

  it("names every bad region in one error", () => {
    expect(() => build({ regions: ["Frankfurt", "eu-west-1", "Ireland"] }, NO_BUNDLING)).toThrow(
      expect.objectContaining({
        message:
          "Invalid Investigation props:\n" +
          '- regions contains "Frankfurt"; expected AWS region names such as eu-west-1\n' +
          '- regions contains "Ireland"; expected AWS region names such as eu-west-1',
      }),
    );
  });
});
