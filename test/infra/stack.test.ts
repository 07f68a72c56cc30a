import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type CfnElement, CfnParameter, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import type { EventPattern } from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { LeakedKeyResponder } from "../../infra/leaked-key-responder.js";
import { readAppSettings } from "../../infra/settings.js";
import { DRILL_RULE, PERSISTENCE_RULE, SIGNAL_RULES, toWirePattern } from "../../infra/signal-rules.js";
import { LeakedKeyResponderStack } from "../../infra/stack.js";
import { iamActionsFor } from "../../lambdas/core/permissions.js";

const ENV = { account: "123456789012", region: "us-east-1" };
/** Props validation happens before bundling; skip esbuild where only that is tested. */
const NO_BUNDLING = { "aws:cdk:bundling-stacks": [] };

function synth(props: ConstructorParameters<typeof LeakedKeyResponderStack>[2] = {}) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "lkr-synth-")) });
  const stack = new LeakedKeyResponderStack(app, "LeakedKeyResponder", { env: ENV, ...props });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth(); // throws on any unacknowledged cdk-nag finding
  return { stack, template: Template.fromStack(stack), assembly };
}

describe("LeakedKeyResponder stack", () => {
  let template: Template;
  let templatePath: string;
  let assemblyDir: string;
  let stack: LeakedKeyResponderStack;
  beforeAll(() => {
    const result = synth({ responder: { notificationEmails: ["secops@example.com"] } });
    template = result.template;
    stack = result.stack;
    assemblyDir = result.assembly.directory;
    templatePath = join(assemblyDir, "LeakedKeyResponder.template.json");
  });

  it("passes cdk-nag AwsSolutions with no unacknowledged finding, and every acknowledgement has a reason", () => {
    const report = JSON.parse(readFileSync(join(assemblyDir, "validation-report.json"), "utf8")) as {
      pluginReports: { pluginName: string; violations?: unknown[] }[];
    };
    expect(report.pluginReports.map((r) => [r.pluginName, r.violations ?? []])).toEqual([
      ["AwsSolutions", []],
    ]);
    const acks = stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata.filter((m) => m.type === "aws:cdk:acknowledged-rules").map((m) => m.data),
      );
    expect(acks.length).toBeGreaterThan(0);
    expect(JSON.stringify(acks)).not.toMatch(/"reason":""/);
  });

  it("passes cfn-lint with zero errors", () => {
    let output = "";
    let status = 0;
    try {
      output = execFileSync("cfn-lint", ["--format", "parseable", templatePath], { encoding: "utf8" });
    } catch (error) {
      const e = error as { status: number; stdout: string; code?: string };
      if (e.code === "ENOENT") throw new Error("cfn-lint is required: pip install cfn-lint");
      status = e.status;
      output = e.stdout;
    }
    // cfn-lint exit status is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    expect({ errors: status & 3, output: output.split("\n").filter((l) => /:E\d{4}:/.test(l)) }).toEqual({
      errors: 0,
      output: [],
    });
  });

  it("runs the respond function on the newest Node.js runtime, arm64, with explicit memory, timeout, logs and the contract variables", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      MemorySize: 1024,
      Timeout: 60,
      LoggingConfig: Match.objectLike({ LogFormat: "JSON", LogGroup: Match.anyValue() }),
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          INCIDENT_TABLE_NAME: Match.anyValue(),
          ALERT_TOPIC_ARN: Match.anyValue(),
          RESPONSE_MODE: "enforce",
          QUARANTINE_POLICY_ARN: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
          EXEMPT_PRINCIPALS: "",
          HONOR_EXEMPT_TAG: "false",
          SESSION_DENY_POLICY_ARN: { Ref: Match.stringLikeRegexp("SessionDenyPolicy") },
          ROLE_SESSION_REVOKER_FUNCTION: { Ref: Match.stringLikeRegexp("RoleSessionRevokerFunction") },
          RESPONDER_ROLE_ARNS: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondRole"), "Arn"] },
        }),
      },
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 365 });
  });

  it("keeps incidents in an on-demand, encrypted, point-in-time-recoverable, deletion-protected, retained table", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: "incidentId", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      }),
    });
  });

  it("encrypts the alert topic with a rotating KMS key, allows SSL only, and subscribes the emails", () => {
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "secops@example.com",
    });
  });

  it("has one rule per signal with exactly its pattern, each to its lane (the function, or the informational queue) with retries, an age limit and a DLQ", () => {
    const rules = template.findResources("AWS::Events::Rule");
    const toRespond = Object.values(rules).filter((r) =>
      /RespondFunction|InformationalQueue/.test(JSON.stringify(r)),
    );
    // and the drill rule, the persistence rule, and the honey key use rule (test/infra/honey-keys.test.ts)
    expect(toRespond).toHaveLength(Object.keys(SIGNAL_RULES).length + 3);
    const onDefaultBus = (rule: EventPattern) => ({
      EventPattern: toWirePattern(rule),
      EventBusName: Match.absent(),
    });
    const retries = {
      DeadLetterConfig: {
        Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondDeadLetterQueue"), "Arn"] },
      },
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    };
    for (const { pattern, lane } of Object.values(SIGNAL_RULES)) {
      template.hasResourceProperties("AWS::Events::Rule", {
        ...onDefaultBus(pattern),
        State: "ENABLED",
        Targets: [
          Match.objectLike({
            Arn: {
              "Fn::GetAtt": [
                Match.stringLikeRegexp(lane === "containment" ? "RespondFunction" : "InformationalQueue"),
                "Arn",
              ],
            },
            ...retries,
          }),
        ],
      });
    }
    // Drills: on the responder's own bus only, through the informational queue.
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: toWirePattern(DRILL_RULE.pattern),
      EventBusName: { Ref: Match.stringLikeRegexp("ResponderBus") },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("InformationalQueue"), "Arn"] },
          ...retries,
        }),
      ],
    });
    // Persistence the investigation found: on the responder's own bus only, straight to the function.
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: toWirePattern(PERSISTENCE_RULE.pattern),
      EventBusName: { Ref: Match.stringLikeRegexp("ResponderBus") },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondFunction"), "Arn"] },
          ...retries,
        }),
      ],
    });
    expect(
      Object.values(rules).filter(
        (r) =>
          // The responder's custom sources (the revoke policy's name prefix in a tamper rule is no source).
          JSON.stringify(r).includes('"source":["leaked-key-responder') &&
          !JSON.stringify(r).includes("EventBusName"),
      ),
    ).toEqual([]);
    expect(Object.values(SIGNAL_RULES).filter((r) => r.lane === "informational")).toHaveLength(1);
    expect(JSON.stringify(rules)).not.toContain('"source":[{"prefix":""}]');
  });

  it("grants exactly the IAM actions of the permissions map, on user/* and role/* of this account, never *", () => {
    // The respond role's own policies (the investigate role is asserted in investigation.test.ts).
    const policies = template.findResources("AWS::IAM::Policy", {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp("RespondRole") }] },
    });
    expect(Object.keys(policies).length).toBeGreaterThan(0);
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const allowIam = statements.filter(
      (s) => s.Effect === "Allow" && [s.Action].flat().some((a) => String(a).startsWith("iam:")),
    );
    const granted = allowIam.flatMap((s) => [s.Action].flat().map(String)).sort();
    expect(granted).toEqual([...iamActionsFor("user"), ...iamActionsFor("role")].sort());
    for (const s of allowIam) {
      for (const resource of [s.Resource].flat()) {
        expect(JSON.stringify(resource)).toMatch(/:iam::",\{"Ref":"AWS::AccountId"\},":(user|role)\/\*"/);
      }
    }
    expect(statements.find((s) => s.Sid === "AttachOnlyDenyOnlyPolicies")?.Condition).toEqual({
      ArnEquals: {
        "iam:PolicyARN": [
          "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
          // Where V4 does not exist, V3 is attached instead.
          "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
          { Ref: expect.stringMatching(/SessionDenyPolicy/) },
        ],
      },
    });
    expect(statements.find((s) => s.Sid === "TagOnlyQuarantineMarks")?.Condition).toEqual({
      "ForAllValues:StringLike": { "aws:TagKeys": ["leaked-key-responder:quarantine:*"] },
    });
    // The exempt tag is not honoured by default: no Deny on it (a self-tagged leaked key would block its own containment).
    expect(statements.find((s) => s.Sid === "NeverChangeExemptPrincipals")).toBeUndefined();
    expect(statements.find((s) => s.Sid === "NeverSetExemptOrDrillTags")).toMatchObject({
      Effect: "Deny",
      Action: ["iam:TagUser", "iam:TagRole"],
      Condition: {
        "ForAnyValue:StringEqualsIgnoreCase": {
          "aws:TagKeys": ["leaked-key-responder:exempt", "leaked-key-responder:drill"],
        },
      },
    });
    expect(statements.find((s) => s.Sid === "NeverChangeResponderRoles")).toMatchObject({
      Effect: "Deny",
      Resource: [
        { "Fn::GetAtt": [expect.stringMatching(/RespondRole/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/InvestigateRole/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/AuditRole/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/RoleSessionRevokerRole/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/HoneyCheckRole/), "Arn"] },
      ],
    });
    for (const role of ["respond", "investigate", "revoke-role-sessions"]) {
      template.hasResourceProperties("AWS::IAM::Role", {
        Description: `leaked-key-responder ${role} function`,
        Tags: Match.arrayWith([{ Key: "leaked-key-responder:exempt", Value: "true" }]),
      });
    }
    expect(statements.some((s) => [s.Action].flat().some((a) => /^iam:Put\w*Policy$/.test(String(a))))).toBe(
      false,
    );
    expect(statements.every((s) => s.Resource !== "*")).toBe(true);
  });

  it("caps the respond role with a permissions boundary that allows only its actions and denies any deletion", () => {
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: "lambda.amazonaws.com" } })],
      }),
      PermissionsBoundary: { Ref: Match.stringLikeRegexp("RespondPermissionsBoundary") },
    });
    const boundary = Object.values(
      template.findResources("AWS::IAM::ManagedPolicy", {
        Properties: { Description: Match.stringLikeRegexp("respond function") },
      }),
    )[0] as {
      Properties: { PolicyDocument: { Statement: { Sid: string; Effect: string; Action: string[] }[] } };
    };
    const deny = boundary.Properties.PolicyDocument.Statement.find((s) => s.Sid === "DisableNeverDelete");
    expect(deny?.Effect).toBe("Deny");
    expect(deny?.Action).toEqual(
      expect.arrayContaining([
        "iam:DeleteAccessKey",
        "iam:DeleteUser",
        "iam:CreateAccessKey",
        "iam:PassRole",
      ]),
    );
    const allowed = boundary.Properties.PolicyDocument.Statement.filter((s) => s.Effect === "Allow").flatMap(
      (s) => s.Action,
    );
    expect(allowed.filter((a) => a.startsWith("iam:")).sort()).toEqual(
      [...iamActionsFor("user"), ...iamActionsFor("role")].sort(),
    );
    expect(allowed.some((a) => a.includes("*"))).toBe(false);
  });

  it("runs the role-session revoker as a synchronous, dependency-free function: no DLQ, no retries, no environment, its own boundary", () => {
    const revokers = template.findResources("AWS::Lambda::Function", {
      Properties: {
        Handler: "index.handler",
        Description: Match.stringLikeRegexp("only inline-policy writer"),
      },
    });
    const [revoker] = Object.values(revokers) as { Properties: Record<string, unknown> }[];
    expect(revoker?.Properties.DeadLetterConfig).toBeUndefined();
    expect(revoker?.Properties.Environment).toEqual({
      Variables: { POWERTOOLS_SERVICE_NAME: "leaked-key-responder", POWERTOOLS_LOG_LEVEL: "INFO" },
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", { MaximumRetryAttempts: 0 });
    template.hasResourceProperties("AWS::IAM::Role", {
      Description: "leaked-key-responder revoke-role-sessions function",
      PermissionsBoundary: { Ref: Match.stringLikeRegexp("RoleSessionRevokerPermissionsBoundary") },
    });
    template.hasResourceProperties("AWS::IAM::ManagedPolicy", {
      Description: Match.stringLikeRegexp("denies every request made with temporary credentials"),
      PolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "LeakedKeyResponderDenyTemporaryCredentials",
            Effect: "Deny",
            Action: "*",
            Resource: "*",
            Condition: { Null: { "aws:TokenIssueTime": "false" } },
          },
        ],
      },
    });
  });

  it("alarms to the alert topic (and Chatbot's topic) on function errors and on messages in the DLQ", () => {
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")).map(
      (a) => (a as { Properties: { MetricName: string; AlarmActions: unknown[] } }).Properties,
    );
    // Two for the respond function and its DLQ, two for the investigation's, two for the audit's,
    // two for the honey key safety net's.
    expect(alarms.map((a) => a.MetricName).sort()).toEqual([
      "ApproximateNumberOfMessagesVisible",
      "ApproximateNumberOfMessagesVisible",
      "ApproximateNumberOfMessagesVisible",
      "ApproximateNumberOfMessagesVisible",
      "Errors",
      "Errors",
      "Errors",
      "Errors",
    ]);
    for (const alarm of alarms)
      expect(alarm.AlarmActions).toEqual([
        { Ref: expect.stringMatching(/AlertTopic/) },
        { Ref: expect.stringMatching(/ChatTopic/) },
      ]);
  });

  it("puts Incident Contained on its own bus, named to the function by a Ref, whose policy admits only the respond role (and the investigate role for Persistence Found)", () => {
    template.resourceCountIs("AWS::Events::EventBus", 1);
    const [busId] = Object.keys(template.findResources("AWS::Events::EventBus"));
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: { Ref: busId } }) },
    });
    const respondRole = { "Fn::GetAtt": [Match.stringLikeRegexp("RespondRole"), "Arn"] };
    const investigateRole = { "Fn::GetAtt": [Match.stringLikeRegexp("InvestigateRole"), "Arn"] };
    template.hasResourceProperties("AWS::Events::EventBus", {
      Policy: {
        Statement: [
          Match.objectLike({
            Effect: "Allow",
            Principal: { AWS: [respondRole] },
            Action: "events:PutEvents",
          }),
          Match.objectLike({
            Effect: "Allow",
            Principal: { AWS: [investigateRole] },
            Action: "events:PutEvents",
            Condition: Match.objectLike({
              "ForAllValues:StringEquals": {
                "events:source": ["leaked-key-responder"],
                "events:detail-type": ["Persistence Found"],
              },
            }),
          }),
          Match.objectLike({
            Effect: "Deny",
            Principal: "*",
            Action: "events:PutEvents",
            Condition: { ArnNotEquals: { "aws:PrincipalArn": [respondRole, investigateRole] } },
          }),
          Match.objectLike({ Effect: "Deny", Principal: "*" }),
          Match.objectLike({ Effect: "Deny", Principal: { AWS: [investigateRole] } }),
        ],
      },
    });
  });

  it("reserves 10 executions for the respond function and caps investigate at 1 (LookupEvents' rate)", () => {
    const fns = Object.values(template.findResources("AWS::Lambda::Function")).map(
      (f) => (f as { Properties: { Description: string; ReservedConcurrentExecutions?: number } }).Properties,
    );
    expect(fns.map((f) => [f.Description.split(":")[0], f.ReservedConcurrentExecutions]).sort()).toEqual([
      ["Contains leaked AWS access keys", 10],
      [
        "Denies a role's sessions issued before a time (the responder's only inline-policy writer)",
        undefined,
      ],
      ["Honey key safety net", undefined],
      ["Investigates contained leaked keys", 1],
      ["Key hygiene audit", undefined],
    ]);
  });

  it("drains the informational queue with at most two concurrent batches, reporting failed messages, redriving to the DLQ", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp("InformationalQueue"), "Arn"] },
      FunctionName: { Ref: Match.stringLikeRegexp("RespondFunction") },
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: {
        deadLetterTargetArn: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondDeadLetterQueue"), "Arn"] },
        maxReceiveCount: 3,
      },
    });
  });

  it("outputs the table, topic, function, DLQ and the responder's bus for tools", () => {
    for (const name of [
      "IncidentTableName",
      "AlertTopicArn",
      "RespondFunctionName",
      "DeadLetterQueueUrl",
      "EventBusName",
    ]) {
      template.hasOutput(name, { Value: Match.anyValue() });
    }
  });
});

describe("exemptions", () => {
  it("passes the list and the tag opt-in to the function, and denies every write on the listed ARNs and, when honoured, on the tag", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
      env: ENV,
      responder: {
        exemptPrincipals: ["break-glass", "arn:aws:iam::123456789012:role/admin"],
        honorExemptTag: true,
      },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          EXEMPT_PRINCIPALS: "break-glass,arn:aws:iam::123456789012:role/admin",
          HONOR_EXEMPT_TAG: "true",
        }),
      },
    });
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const listed = statements.find((s) => s.Sid === "NeverChangeExemptListed");
    expect(listed).toMatchObject({
      Effect: "Deny",
      Action: [...iamActionsFor("user", "write"), ...iamActionsFor("role", "write")],
    });
    expect(JSON.stringify(listed?.Resource)).toContain(":user/break-glass");
    expect(JSON.stringify(listed?.Resource)).toContain(":role/*/break-glass");
    expect(listed?.Resource).toContain("arn:aws:iam::123456789012:role/admin");
    expect(statements.find((s) => s.Sid === "NeverChangeExemptPrincipals")).toMatchObject({
      Effect: "Deny",
      Condition: { StringEquals: { "aws:ResourceTag/leaked-key-responder:exempt": "true" } },
    });
    const revokerDeny = statements.find((s) => s.Sid === "NeverWriteOnProtectedRoles");
    expect(revokerDeny).toMatchObject({ Effect: "Deny", Action: "iam:PutRolePolicy" });
    expect(revokerDeny?.Resource).toContain("arn:aws:iam::123456789012:role/admin");
  });
});

describe("LeakedKeyResponder props", () => {
  it.each([
    [{ responseMode: "yolo" }, /responseMode is "yolo"; allowed: enforce, notify-only/],
    [
      { guardDutyContainMinSeverity: 42 },
      /guardDutyContainMinSeverity is 42; allowed: a number from 0 to 11 \(a GuardDuty severity, 0 to 10; 11 contains by finding type only\)/,
    ],
    [
      { investigationRegions: ["eu-west-1", "mars-1"] },
      /investigationRegions contains "mars-1"; expected AWS region names such as eu-west-1/,
    ],
    [{ notificationEmails: ["not-an-email"] }, /notificationEmails contains "not-an-email"/],
    [{ exemptPrincipals: ["bad name!"] }, /exemptPrincipals contains "bad name!"/],
    [
      { quarantinePolicyArn: "AWSCompromisedKeyQuarantineV3" },
      /quarantinePolicyArn is "AWSCompromisedKeyQuarantineV3"; allowed: arn:<partition>:iam::aws:policy\/AWSCompromisedKeyQuarantine\*/,
    ],
    [
      { quarantinePolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
      /quarantinePolicyArn is "arn:aws:iam::aws:policy\/AdministratorAccess"; allowed: .*AWSDenyAll, or a deny-only managed policy defined in the same stack/,
    ],
    [
      { quarantinePolicyArn: "arn:aws:iam::123456789012:policy/MyQuarantine" },
      /quarantinePolicyArn is "arn:aws:iam::123456789012:policy\/MyQuarantine"; allowed:/,
    ],
    [
      { reservedConcurrency: 0 },
      /reservedConcurrency is 0; allowed: an integer from 1 to 100, or "unreserved"/,
    ],
    [
      { operatorRoleArns: ["drill-operator"] },
      /operatorRoleArns contains "drill-operator"; expected an IAM role ARN/,
    ],
  ])("rejects %j", (props, message) => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new LeakedKeyResponderStack(app, "Ok", { env: ENV });
    expect(() => new LeakedKeyResponder(stack, "Bad", props as never)).toThrow(message);
  });

  it("names every bad prop in one error, and what each allows", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new LeakedKeyResponderStack(app, "Ok", { env: ENV });
    const build = () =>
      new LeakedKeyResponder(stack, "Bad", {
        responseMode: "yolo" as never,
        exemptPrincipals: ["ok-name", "bad name!"],
        reservedConcurrency: 0,
      });
    expect(build).toThrow(
      // the whole message, nothing before or after
      /^Invalid LeakedKeyResponder props:\n- responseMode is "yolo"; allowed: enforce, notify-only\n- exemptPrincipals contains "bad name!"; expected an IAM user or role name or ARN\n- reservedConcurrency is 0; allowed: an integer from 1 to 100, or "unreserved"$/,
    );
  });

  it("skips props that are unresolved tokens (known only at deploy time), and still checks the rest", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new LeakedKeyResponderStack(app, "Ok", { env: ENV });
    const parameter = (name: string) => new CfnParameter(stack, name).valueAsString;
    const tokens = {
      notificationEmails: [parameter("Email")],
      exemptPrincipals: [parameter("Exempt")],
      reservedConcurrency: new CfnParameter(stack, "Concurrency", { type: "Number" }).valueAsNumber,
    };
    expect(() => new LeakedKeyResponder(stack, "Tokens", tokens)).not.toThrow();
    expect(
      () => new LeakedKeyResponder(stack, "TokensAndBad", { ...tokens, guardDutyContainMinSeverity: 42 }),
    ).toThrow(
      /^Invalid LeakedKeyResponder props:\n- guardDutyContainMinSeverity is 42; allowed: a number from 0 to 11 \(a GuardDuty severity, 0 to 10; 11 contains by finding type only\)$/,
    );
  });

  it("refuses a home region other than us-east-1 unless told", () => {
    expect(
      () =>
        new LeakedKeyResponderStack(new App({ context: NO_BUNDLING }), "S", {
          env: { ...ENV, region: "eu-west-1" },
        }),
    ).toThrow(
      /home region is "eu-west-1"; IAM CloudTrail events and Health RISK events only arrive in us-east-1/,
    );
    expect(
      () =>
        new LeakedKeyResponderStack(new App({ context: NO_BUNDLING }), "S", {
          env: { ...ENV, region: "eu-west-1" },
          allowNonDefaultHomeRegion: true,
        }),
    ).not.toThrow();
  });
});

// A second responder in a LeakedKeyResponderStack would collide on the stack outputs: these hold just one, in a plain stack.
describe("LeakedKeyResponder quarantine policy", () => {
  const denyAll = (stack: Stack, id = "OwnQuarantine") =>
    new iam.ManagedPolicy(stack, id, {
      statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ["*"], resources: ["*"] })],
    });

  it.each([
    "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
    "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
    "arn:aws:iam::aws:policy/AWSDenyAll",
  ])("accepts AWS's deny-only policy %s", (quarantinePolicyArn) => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, "Ok", { env: ENV });
    expect(() => new LeakedKeyResponder(stack, "R", { quarantinePolicyArn })).not.toThrow();
  });

  it("accepts a deny-only managed policy of the same stack, and passes its Ref to the function", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, "Ok", { env: ENV });
    const policy = denyAll(stack);
    new LeakedKeyResponder(stack, "R", { quarantinePolicyArn: policy.managedPolicyArn });
    const logicalId = stack.getLogicalId(policy.node.defaultChild as CfnElement);
    Template.fromStack(stack).hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ QUARANTINE_POLICY_ARN: { Ref: logicalId } }) },
    });
  });

  it("refuses a managed policy of the stack that allows anything, naming it and the statement", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, "Ok", { env: ENV });
    const policy = new iam.ManagedPolicy(stack, "Sneaky", {
      statements: [
        new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ["s3:*"], resources: ["*"] }),
        new iam.PolicyStatement({ sid: "Admin", actions: ["*"], resources: ["*"] }),
      ],
    });
    expect(
      () => new LeakedKeyResponder(stack, "R", { quarantinePolicyArn: policy.managedPolicyArn }),
    ).toThrow(/quarantinePolicyArn is Ok\/Sneaky .*whose statements Admin do not deny/);
  });

  it("fails synth when the stack's policy gains an Allow after the responder was built", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, "Ok", { env: ENV });
    const policy = denyAll(stack);
    new LeakedKeyResponder(stack, "R", { quarantinePolicyArn: policy.managedPolicyArn });
    policy.addStatements(new iam.PolicyStatement({ sid: "Later", actions: ["iam:*"], resources: ["*"] }));
    expect(() => app.synth()).toThrow(/whose statements Later do not deny/);
  });

  it("refuses a token that names no managed policy of the stack", () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new Stack(app, "Ok", { env: ENV });
    const quarantinePolicyArn = new CfnParameter(stack, "Quarantine").valueAsString;
    expect(() => new LeakedKeyResponder(stack, "R", { quarantinePolicyArn })).toThrow(
      /quarantinePolicyArn is \{"Ref":"Quarantine"\}, which names no managed policy of this stack/,
    );
  });

  it("fails `-c quarantinePolicyArn=…/AdministratorAccess`, naming the value", () => {
    const context = { ...NO_BUNDLING, quarantinePolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" };
    const app = new App({ context });
    const settings = readAppSettings((key) => app.node.tryGetContext(key), {});
    expect(
      () => new LeakedKeyResponderStack(app, settings.stackName, { env: ENV, responder: settings.responder }),
    ).toThrow(/quarantinePolicyArn is "arn:aws:iam::aws:policy\/AdministratorAccess"; allowed:/);
  });
});

describe("LeakedKeyResponder concurrency and operators", () => {
  it('reserves nothing with reservedConcurrency "unreserved" (accounts with a small Lambda quota)', () => {
    const app = new App({ context: NO_BUNDLING });
    const stack = new LeakedKeyResponderStack(app, "S", {
      env: ENV,
      responder: { reservedConcurrency: "unreserved" },
    });
    for (const fn of Object.values(Template.fromStack(stack).findResources("AWS::Lambda::Function")))
      expect(
        (fn as { Properties: Record<string, unknown> }).Properties.ReservedConcurrentExecutions,
      ).toBeUndefined();
  });

  it("admits the operator roles to the bus besides the respond role", () => {
    const app = new App({ context: NO_BUNDLING });
    const operator = "arn:aws:iam::123456789012:role/drill-operator";
    const stack = new LeakedKeyResponderStack(app, "S", {
      env: ENV,
      responder: { operatorRoleArns: [operator] },
    });
    const respondRole = { "Fn::GetAtt": [Match.stringLikeRegexp("RespondRole"), "Arn"] };
    // The investigate role is admitted too, for Persistence Found only (policy-proofs decide what it may put).
    const investigateRole = { "Fn::GetAtt": [Match.stringLikeRegexp("InvestigateRole"), "Arn"] };
    Template.fromStack(stack).hasResourceProperties("AWS::Events::EventBus", {
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Allow", Principal: { AWS: [respondRole, operator] } }),
          Match.objectLike({
            Effect: "Deny",
            Condition: { ArnNotEquals: { "aws:PrincipalArn": [respondRole, operator, investigateRole] } },
          }),
        ]),
      },
    });
  });

  it("reads reservedConcurrency and operatorRoleArns from context", () => {
    const settings = readAppSettings(
      (key) =>
        ({
          reservedConcurrency: "unreserved",
          operatorRoleArns: "arn:aws:iam::123456789012:role/a, arn:aws:iam::123456789012:role/b",
        })[key],
      {},
    );
    expect(settings.responder).toMatchObject({
      reservedConcurrency: "unreserved",
      operatorRoleArns: ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"],
    });
  });
});
