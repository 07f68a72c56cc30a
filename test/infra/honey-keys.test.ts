import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { HONEY_USE_PATTERN, HONEY_USE_RULE, honeyUsePattern } from "../../infra/honey-keys.js";
import { toWirePattern } from "../../infra/signal-rules.js";
import { LeakedKeyResponderStack } from "../../infra/stack.js";

function synth(responder: ConstructorParameters<typeof LeakedKeyResponderStack>[2] = {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  return Template.fromStack(
    new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
      env: { account: "123456789012", region: "us-east-1" },
      ...responder,
    }),
  );
}

describe("honey keys in the stack", () => {
  const template = synth();

  it("watches any CloudTrail call of a user under the honey path, read-only calls included, through the informational queue", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: [{ prefix: "aws." }],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: {
          userIdentity: { type: ["IAMUser"], arn: [{ wildcard: "arn:aws*:iam::*:user/service/*" }] },
        },
      },
      State: "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
      EventBusName: Match.absent(),
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("InformationalQueue"), "Arn"] },
          DeadLetterConfig: {
            Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondDeadLetterQueue"), "Arn"] },
          },
        }),
      ],
    });
    expect(HONEY_USE_RULE.lane).toBe("informational");
    expect(toWirePattern(HONEY_USE_PATTERN)).toEqual(toWirePattern(honeyUsePattern("/service/")));
  });

  it("tells the respond function the path and the cooldown, and outputs the path for lkr", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Contains leaked AWS access keys"),
      Environment: {
        Variables: Match.objectLike({ HONEY_KEY_PATH: "/service/", HONEY_ALERT_COOLDOWN_SECONDS: "3600" }),
      },
    });
    template.hasOutput("HoneyKeyPath", { Value: "/service/" });
  });

  it("runs the safety net every hour with the table, topic and path", () => {
    template.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(1 hour)" });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Honey key safety net"),
      Environment: {
        Variables: Match.objectLike({
          INCIDENT_TABLE_NAME: { Ref: Match.stringLikeRegexp("IncidentTable") },
          ALERT_TOPIC_ARN: { Ref: Match.stringLikeRegexp("AlertTopic") },
          HONEY_KEY_PATH: "/service/",
        }),
      },
    });
  });

  it("in a single account, the safety net reads its own account only: no member role named, none assumed", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Honey key safety net"),
      Environment: { Variables: Match.objectLike({ MEMBER_ROLE_NAME: Match.absent() }) },
    });
    const checkPolicies = template.findResources("AWS::IAM::Policy", {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp("HoneyCheckRole") }] },
    });
    expect(JSON.stringify(checkPolicies)).not.toContain("sts:AssumeRole");
  });

  it("in an Organization, the safety net reads member accounts' honey keys through the member role, assumed only inside the Organization", () => {
    const org = synth({
      organization: {
        organizationId: "o-a1b2c3d4e5",
        memberOrganizationalUnitIds: ["ou-ab12-cdef3456"],
        forwardRegions: [],
        memberRoleName: "LkrMember",
      },
    });
    org.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Honey key safety net"),
      Environment: { Variables: Match.objectLike({ MEMBER_ROLE_NAME: "LkrMember" }) },
    });
    org.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("HoneyCheckRole") }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: "AssumeMemberRemediationRole",
            Effect: "Allow",
            Action: "sts:AssumeRole",
            Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::*:role/LkrMember"]] },
            Condition: { StringEquals: { "aws:ResourceOrgID": "o-a1b2c3d4e5" } },
          },
        ]),
      },
    });
  });

  it("takes another path and cooldown", () => {
    const other = synth({ responder: { honeyKeyPath: "/ci/", honeyAlertCooldownSeconds: 600 } });
    other.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: Match.objectLike({
        detail: { userIdentity: { type: ["IAMUser"], arn: [{ wildcard: "arn:aws*:iam::*:user/ci/*" }] } },
      }),
    });
    other.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ HONEY_KEY_PATH: "/ci/", HONEY_ALERT_COOLDOWN_SECONDS: "600" }),
      },
    });
  });

  it.each([
    [{ honeyKeyPath: "/" }, /path "\/" is every user's/],
    [{ honeyKeyPath: "/canary/" }, /contains "canary"/],
    [
      { honeyAlertCooldownSeconds: -5 },
      /honeyAlertCooldownSeconds is -5; allowed: an integer from 0 to 604800/,
    ],
  ])("rejects %j", (responder, message) => {
    expect(() => synth({ responder })).toThrow(message);
  });
});
