import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import {
  forwardedSources,
  MEMBER_FORWARDED_PATTERNS,
  REGIONAL_FORWARDED_PATTERNS,
} from "../../infra/forwarding.js";
import { ALL_MANAGEMENT_EVENTS_STATE, HONEY_USE_RULE, honeyUsePattern } from "../../infra/honey-keys.js";
import { GRANT_ACTIONS, memberRoleActions, memberTemplate } from "../../infra/member-template.js";
import { centralBusName, forwarderRoleName, memberForwarderRoleName } from "../../infra/org-intake.js";
import { centralBusArnIn, ForwarderStack, MemberStackSet } from "../../infra/org-stacks.js";
import { type OrganizationSettings, validateOrganization } from "../../infra/organization.js";
import { readAppSettings } from "../../infra/settings.js";
import { SIGNAL_RULES, toWirePattern } from "../../infra/signal-rules.js";
import { LeakedKeyResponderStack } from "../../infra/stack.js";
import { HONEYKEY_CHECK_IAM_ACTIONS } from "../../lambdas/adapters/iam-honey.js";
import { iamActionsFor } from "../../lambdas/core/permissions.js";

const ACCOUNT = "123456789012";
const NO_BUNDLING = { "aws:cdk:bundling-stacks": [] };
const ORG: OrganizationSettings = {
  organizationId: "o-a1b2c3d4e5",
  memberOrganizationalUnitIds: ["ou-ab12-cdef3456"],
  forwardRegions: ["eu-west-1", "us-west-2"],
  memberRoleName: "LkrMember",
};
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";

/** cfn-lint's errors (exit status bit mask: 2 = errors; warnings such as W3005 are fine). */
function cfnLintErrors(paths: readonly string[]): { errors: number; output: string[] } {
  try {
    execFileSync("cfn-lint", ["--format", "parseable", ...paths], { encoding: "utf8" });
    return { errors: 0, output: [] };
  } catch (error) {
    const e = error as { status: number; stdout: string; code?: string };
    if (e.code === "ENOENT") throw new Error("cfn-lint is required: pip install cfn-lint");
    return { errors: e.status & 3, output: e.stdout.split("\n").filter((l) => /:E\d{4}:/.test(l)) };
  }
}

function centralApp(org: OrganizationSettings = ORG) {
  const app = new App({ context: NO_BUNDLING, outdir: mkdtempSync(join(tmpdir(), "lkr-org-")) });
  const stack = new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
    env: { account: ACCOUNT, region: "us-east-1" },
    responder: { notificationEmails: ["secops@example.com"] },
    organization: org,
  });
  return { app, stack };
}

function synthCentral(org: OrganizationSettings = ORG) {
  const { app, stack } = centralApp(org);
  return { app, stack, template: Template.fromStack(stack) };
}

describe("Organization settings (one config: context keys or LKR_* variables)", () => {
  it("reads the contract keys, comma-separated, and defaults nothing else into an Organization", () => {
    const context: Record<string, unknown> = {
      organizationId: "o-a1b2c3d4e5",
      memberOrganizationalUnitIds: "ou-ab12-cdef3456, ou-ab12-99998888",
      forwardRegions: "eu-west-1,us-west-2",
      memberRoleName: "LkrMember",
    };
    expect(readAppSettings((k) => context[k], {}).organization).toEqual({
      organizationId: "o-a1b2c3d4e5",
      memberOrganizationalUnitIds: ["ou-ab12-cdef3456", "ou-ab12-99998888"],
      forwardRegions: ["eu-west-1", "us-west-2"],
      memberRoleName: "LkrMember",
    });
  });

  it("is a single-account deployment when no organizationId is given", () => {
    expect(readAppSettings(() => undefined, {}).organization).toBeUndefined();
    expect(readAppSettings(() => undefined, { LKR_MEMBER_ROLE_NAME: "x" }).organization).toBeUndefined();
  });

  it("reads LKR_ variables too, with the member role's default name", () => {
    const s = readAppSettings(() => undefined, {
      LKR_ORGANIZATION_ID: "o-a1b2c3d4e5",
      LKR_MEMBER_ORGANIZATIONAL_UNIT_IDS: "r-ab12",
      LKR_FORWARD_REGIONS: "eu-central-1",
    });
    expect(s.organization).toMatchObject({
      memberOrganizationalUnitIds: ["r-ab12"],
      forwardRegions: ["eu-central-1"],
      memberRoleName: "LeakedKeyResponderMember",
    });
  });

  it.each(["OrganizationAccountAccessRole", "AWSControlTowerExecution", "organizationaccountaccessrole"])(
    "refuses %s as the member role (it administers every member account)",
    (memberRoleName) => {
      expect(() => validateOrganization({ ...ORG, memberRoleName })).toThrow(
        new RegExp(
          `memberRoleName is "${memberRoleName}"; that role is an administrator of every member account`,
        ),
      );
    },
  );

  it("names every bad value at once", () => {
    expect(() =>
      validateOrganization({
        ...ORG,
        organizationId: "123",
        memberOrganizationalUnitIds: ["finance"],
        forwardRegions: ["mars-1"],
      }),
    ).toThrow(
      /organizationId is "123"[\s\S]*memberOrganizationalUnitIds contains "finance"[\s\S]*forwardRegions contains "mars-1"/,
    );
    expect(() => validateOrganization({ ...ORG, memberOrganizationalUnitIds: [] })).toThrow(
      /memberOrganizationalUnitIds is empty/,
    );
  });

  it("refuses more account routes than the respond function's 4 KB of environment holds", () => {
    const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:team-alerts`;
    const alertRoutes = Array.from({ length: 60 }, (_, i) => ({ match: String(200000000000 + i), topicArn }));
    expect(() => validateOrganization({ ...ORG, alertRoutes: alertRoutes.slice(0, 40) })).not.toThrow();
    expect(() => validateOrganization({ ...ORG, alertRoutes })).toThrow(
      /alertRoutes take \d+ characters in ALERT_ROUTES; at most 3000 fit[\s\S]*route by OU/,
    );
  });

  it("refuses the admin role names in the construct too (memberRoleName without an Organization)", () => {
    const app = new App({ context: NO_BUNDLING });
    expect(
      () =>
        new LeakedKeyResponderStack(app, "S", {
          env: { account: ACCOUNT, region: "us-east-1" },
          responder: { memberRoleName: "OrganizationAccountAccessRole" },
        }),
    ).toThrow(/memberRoleName is "OrganizationAccountAccessRole"/);
  });
});

describe("the central stack of an Organization", () => {
  const { template } = synthCentral();

  it("has a central bus with one rule per forwarded pattern, each to the lane of its signal rule with a DLQ", () => {
    const busRules = Object.values(template.findResources("AWS::Events::Rule")).filter((r) =>
      JSON.stringify(r.Properties.EventBusName ?? "").includes("OrgSignalBus"),
    );
    const forwarded = [...REGIONAL_FORWARDED_PATTERNS, ...MEMBER_FORWARDED_PATTERNS];
    // ... and the honey key use rule (below).
    expect(busRules).toHaveLength(forwarded.length + 1);
    for (const p of forwarded) {
      const lane = SIGNAL_RULES[p.ruleId]?.lane;
      template.hasResourceProperties("AWS::Events::Rule", {
        EventBusName: { Ref: Match.stringLikeRegexp("OrgSignalBus") },
        EventPattern: toWirePattern(p.pattern),
        Targets: [
          Match.objectLike({
            Arn: {
              "Fn::GetAtt": [
                Match.stringLikeRegexp(lane === "containment" ? "RespondFunction" : "InformationalQueue"),
                "Arn",
              ],
            },
            DeadLetterConfig: {
              Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondDeadLetterQueue"), "Arn"] },
            },
          }),
        ],
      });
    }
    template.hasResourceProperties("AWS::Events::EventBus", { Name: centralBusName("LeakedKeyResponder") });
  });

  it("routes honey key use forwarded from the regions like the home rule: same pattern and state, informational queue", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: Match.stringLikeRegexp("OrgSignalBus") },
      EventPattern: toWirePattern(honeyUsePattern()),
      State: ALL_MANAGEMENT_EVENTS_STATE,
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("InformationalQueue"), "Arn"] },
          DeadLetterConfig: {
            Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondDeadLetterQueue"), "Arn"] },
          },
        }),
      ],
    });
    const custom = new App({ context: NO_BUNDLING });
    const ops = Template.fromStack(
      new LeakedKeyResponderStack(custom, "LeakedKeyResponder", {
        env: { account: ACCOUNT, region: "us-east-1" },
        responder: { notificationEmails: ["secops@example.com"], honeyKeyPath: "/ops/" },
        organization: ORG,
      }),
    );
    ops.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: Match.stringLikeRegexp("OrgSignalBus") },
      EventPattern: toWirePattern(honeyUsePattern("/ops/")),
      State: ALL_MANAGEMENT_EVENTS_STATE,
    });
  });

  it("admits CloudTrail calls of any aws.* source only from the regional and member forwarder roles, by its bus policy", () => {
    const forwarders = [
      {
        "Fn::Join": [
          "",
          [
            "arn:",
            { Ref: "AWS::Partition" },
            ":iam::",
            { Ref: "AWS::AccountId" },
            ":role/LeakedKeyResponder-forwarder-*",
          ],
        ],
      },
      // The member forwarders (us-east-1 member stack and member regional forwarders), any account of the Organization.
      {
        "Fn::Join": [
          "",
          ["arn:", { Ref: "AWS::Partition" }, ":iam::*:role/LeakedKeyResponder-member-forwarder-*"],
        ],
      },
    ];
    template.hasResourceProperties("AWS::Events::EventBus", {
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: "RegionalForwardersPutCloudTrailCalls",
            Effect: "Allow",
            Condition: {
              StringEquals: { "aws:PrincipalOrgID": ORG.organizationId },
              "ForAllValues:StringEquals": { "events:detail-type": ["AWS API Call via CloudTrail"] },
              "ForAllValues:StringLike": { "events:source": ["aws.*"] },
              ArnLike: { "aws:PrincipalArn": forwarders },
            },
          }),
          Match.objectLike({
            Sid: "OnlyForwardedSources",
            Effect: "Deny",
            Condition: Match.objectLike({ ArnNotLike: { "aws:PrincipalArn": forwarders } }),
          }),
          Match.objectLike({
            Sid: "ForwardersOnlyCloudTrailCallsBeyondSources",
            Effect: "Deny",
            Condition: Match.objectLike({
              "ForAnyValue:StringNotEquals": {
                "events:source": Match.anyValue(),
                "events:detail-type": ["AWS API Call via CloudTrail"],
              },
            }),
          }),
        ]),
      },
    });
  });

  it("deploys the member stack with a service-managed StackSet, auto-deployed to the OUs, in us-east-1", () => {
    template.hasResourceProperties("AWS::CloudFormation::StackSet", {
      PermissionModel: "SERVICE_MANAGED",
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: "DELEGATED_ADMIN",
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      StackInstancesGroup: [
        { DeploymentTargets: { OrganizationalUnitIds: ["ou-ab12-cdef3456"] }, Regions: ["us-east-1"] },
      ],
      Parameters: Match.arrayWith([
        {
          ParameterKey: "CentralRoleArns",
          ParameterValue: {
            "Fn::Join": [
              "",
              [
                { "Fn::GetAtt": [Match.stringLikeRegexp("RespondRole"), "Arn"] },
                ",",
                { "Fn::GetAtt": [Match.stringLikeRegexp("InvestigateRole"), "Arn"] },
                ",",
                { "Fn::GetAtt": [Match.stringLikeRegexp("AuditRole"), "Arn"] },
                ",",
                { "Fn::GetAtt": [Match.stringLikeRegexp("HoneyCheckRole"), "Arn"] },
              ],
            ],
          },
        },
      ]),
    });
  });

  it("lets the respond, investigate, audit and honey check roles assume only the member role, and only inside the Organization", () => {
    for (const role of ["RespondRole", "InvestigateRole", "AuditRole", "HoneyCheckRole"]) {
      template.hasResourceProperties("AWS::IAM::Policy", {
        Roles: [{ Ref: Match.stringLikeRegexp(role) }],
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
    }
  });

  it("tells the investigate function the member role's name", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Investigates"),
      Environment: { Variables: Match.objectLike({ MEMBER_ROLE_NAME: "LkrMember" }) },
    });
  });

  it("passes cdk-nag AwsSolutions with no unacknowledged finding", () => {
    const { app } = centralApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, "validation-report.json"), "utf8")) as {
      pluginReports: { pluginName: string; violations?: unknown[] }[];
    };
    expect(report.pluginReports.map((r) => [r.pluginName, r.violations ?? []])).toEqual([
      ["AwsSolutions", []],
    ]);
  });
});

describe("alert routes of an Organization", () => {
  const topic = `arn:aws:sns:us-east-1:${ACCOUNT}:payments-alerts`;
  const routes = [
    { match: "210987654321", topicArn: topic },
    { match: "ou-ab12-cdef3456", topicArn: topic },
  ];

  it("tells the respond function the routes, lets it publish to their topics and read an account's OUs and tags (nag-clean)", () => {
    const { app, stack } = centralApp({ ...ORG, alertRoutes: routes });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, "validation-report.json"), "utf8")) as {
      pluginReports: { pluginName: string; violations?: unknown[] }[];
    };
    expect(report.pluginReports.map((r) => [r.pluginName, r.violations ?? []])).toEqual([
      ["AwsSolutions", []],
    ]);
    const template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ ALERT_ROUTES: `210987654321=${topic},ou-ab12-cdef3456=${topic}` }),
      },
    });
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("RespondRole") }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Sid: "PublishRoutedAlerts", Effect: "Allow", Action: "sns:Publish", Resource: topic },
          {
            Sid: "ReadAccountPlacement",
            Effect: "Allow",
            Action: ["organizations:ListParents", "organizations:ListTagsForResource"],
            Resource: "*",
          },
        ]),
      },
    });
    template.hasResourceProperties("AWS::IAM::ManagedPolicy", {
      Description: Match.stringLikeRegexp("Permissions boundary of the leaked-key-responder respond"),
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Sid: "ReadAccountPlacement" })]),
      },
    });
  });
});

describe("a regional forwarder stack", () => {
  const app = new App({ context: NO_BUNDLING });
  const busArn = centralBusArnIn("us-east-1", centralBusName("LeakedKeyResponder"));
  const stack = new ForwarderStack(app, "LeakedKeyResponder-Forwarder-eu-west-1", {
    env: { account: ACCOUNT, region: "eu-west-1" },
    centralBusArn: busArn,
    honeyKeyPath: "/ops/",
    roleName: forwarderRoleName("LeakedKeyResponder", "eu-west-1"),
  });
  const template = Template.fromStack(stack);
  const honey = { pattern: honeyUsePattern("/ops/") };

  it("forwards exactly the regional patterns and honey key use to the central bus in us-east-1, through its named role, with a DLQ", () => {
    template.resourceCountIs("AWS::Events::Rule", REGIONAL_FORWARDED_PATTERNS.length + 1);
    for (const p of [...REGIONAL_FORWARDED_PATTERNS, honey]) {
      template.hasResourceProperties("AWS::Events::Rule", {
        EventPattern: toWirePattern(p.pattern),
        Targets: [
          {
            Id: Match.anyValue(),
            Arn: {
              "Fn::Join": [
                "",
                [
                  "arn:",
                  { Ref: "AWS::Partition" },
                  ":events:us-east-1:",
                  { Ref: "AWS::AccountId" },
                  ":event-bus/LeakedKeyResponder-org-signals",
                ],
              ],
            },
            RoleArn: { "Fn::GetAtt": [Match.stringLikeRegexp("ForwardRole"), "Arn"] },
            DeadLetterConfig: {
              Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("ForwardDeadLetterQueue"), "Arn"] },
            },
          },
        ],
      });
    }
    template.resourceCountIs("AWS::IAM::Role", 1);
    template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "LeakedKeyResponder-forwarder-eu-west-1",
    });
  });

  it("forwards honey key use in the home rule's state, so read-only calls (GetCallerIdentity) are seen", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: toWirePattern(honey.pattern),
      State: HONEY_USE_RULE.state,
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: toWirePattern(REGIONAL_FORWARDED_PATTERNS[0]?.pattern ?? {}),
      State: "ENABLED",
    });
  });

  it("refuses a forwarder role name longer than IAM allows", () => {
    expect(() => forwarderRoleName("x".repeat(40), "ap-southeast-2")).toThrow(/IAM allows 64/);
  });

  it("refuses a forwarded pattern whose source is not literal (the bus policy admits sources by name)", () => {
    const prefixed = {
      ...REGIONAL_FORWARDED_PATTERNS[0],
      id: "ForwardAnyAws",
      pattern: { source: [{ prefix: "aws." }] },
    };
    expect(() => forwardedSources([prefixed] as never)).toThrow(
      /ForwardAnyAws must name its sources literally/,
    );
  });

  it("never forwards GuardDuty from members, only from the regions of the delegated administrator", () => {
    expect(forwardedSources(MEMBER_FORWARDED_PATTERNS)).not.toContain("aws.guardduty");
    expect(forwardedSources(REGIONAL_FORWARDED_PATTERNS)).toEqual(["aws.guardduty"]);
  });
});

describe("the member template (the StackSet's TemplateBody)", () => {
  const body = memberTemplate({
    organizationId: ORG.organizationId,
    memberRoleName: ORG.memberRoleName,
    quarantinePolicyArn: QUARANTINE,
  });
  const template = Template.fromJSON(body);

  it("has the member role, trusted only by the central roles given and only from inside the Organization", () => {
    template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "LkrMember",
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Sid: "CentralRolesOfTheOrganization",
            Effect: "Allow",
            Principal: { AWS: { Ref: "CentralRoleArns" } },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } },
          },
        ],
      },
    });
  });

  it("gives the member role exactly the actions of the permissions tables, none that grants", () => {
    const role = Object.values(template.findResources("AWS::IAM::Role")).find(
      (r) => r.Properties.RoleName === "LkrMember",
    );
    const statements = (
      (role?.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: { Effect: string; Action: string | string[] }[] };
      }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
    const allowed = new Set(statements.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat()));
    expect([...allowed].sort()).toEqual(memberRoleActions());
    for (const action of [
      ...iamActionsFor("user"),
      ...iamActionsFor("role"),
      "cloudtrail:LookupEvents",
      ...HONEYKEY_CHECK_IAM_ACTIONS,
    ]) {
      expect(allowed).toContain(action);
    }
    for (const grant of GRANT_ACTIONS) expect(allowed).not.toContain(grant);
    expect(
      statements.find((s) => s.Effect === "Deny" && [s.Action].flat().includes("iam:PutRolePolicy")),
    ).toBeDefined();
  });

  it("forwards exactly the member patterns and honey key use from the member's default bus to the central bus, with a DLQ", () => {
    // + honey key use of us-east-1 (the member regional forwarders cover the other forward regions).
    template.resourceCountIs("AWS::Events::Rule", MEMBER_FORWARDED_PATTERNS.length + 1);
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: toWirePattern(honeyUsePattern()),
      State: ALL_MANAGEMENT_EVENTS_STATE,
      Targets: [Match.objectLike({ Arn: { Ref: "CentralBusArn" } })],
    });
    // Named as the central bus admits honey key use: <central stack>-member-forwarder-<region>.
    template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: { "Fn::Join": ["", ["LeakedKeyResponder-member-forwarder-", { Ref: "AWS::Region" }]] },
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: "events.amazonaws.com" } })],
      },
    });
    for (const p of MEMBER_FORWARDED_PATTERNS) {
      template.hasResourceProperties("AWS::Events::Rule", {
        EventPattern: toWirePattern(p.pattern),
        Targets: [
          Match.objectLike({
            Arn: { Ref: "CentralBusArn" },
            RoleArn: Match.anyValue(),
            DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
          }),
        ],
      });
    }
  });

  it("creates the member's own deny-only session policy under the name the responder derives", () => {
    template.hasResourceProperties("AWS::IAM::ManagedPolicy", { ManagedPolicyName: "LkrMember-SessionDeny" });
  });

  it("refuses a quarantine policy of the central stack (it does not exist in member accounts)", () => {
    const stack = new Stack(new App(), "X");
    expect(
      () =>
        new MemberStackSet(stack, "Members", {
          organizationId: ORG.organizationId,
          memberRoleName: ORG.memberRoleName,
          quarantinePolicyArn: `arn:aws:iam::${ACCOUNT}:policy/mine`,
          organizationalUnitIds: ORG.memberOrganizationalUnitIds,
          centralRoleArns: [`arn:aws:iam::${ACCOUNT}:role/respond`],
          centralBusArn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/x`,
          centralRevokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/revoker`,
        }),
    ).toThrow(/in an Organization it must be an AWS managed policy/);
  });
});

describe("the contract: offline synth with the Organization context keys", () => {
  it("writes the central stack, one forwarder stack per listed region, and a StackSet template; cfn-lint finds no error in any", () => {
    const outdir = mkdtempSync(join(tmpdir(), "lkr-org-app-"));
    const context = {
      ...NO_BUNDLING,
      organizationId: "o-a1b2c3d4e5",
      memberOrganizationalUnitIds: "ou-ab12-cdef3456,ou-ab12-99998888",
      forwardRegions: "eu-west-1,us-west-2,us-east-1",
      memberRoleName: "LkrMember",
    };
    execFileSync("npx", ["tsx", "infra/app.ts"], {
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      encoding: "utf8",
    });
    const templates = readdirSync(outdir)
      .filter((f) => f.endsWith(".template.json"))
      .sort();
    expect(templates).toEqual([
      "LeakedKeyResponder-Forwarder-eu-west-1.template.json",
      "LeakedKeyResponder-Forwarder-us-west-2.template.json",
      "LeakedKeyResponder.template.json",
    ]);
    const central = JSON.parse(readFileSync(join(outdir, "LeakedKeyResponder.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const stackSets = Object.values(central.Resources).filter(
      (r) => r.Type === "AWS::CloudFormation::StackSet",
    );
    const stackSet = stackSets[0];
    expect(stackSet?.Properties).toMatchObject({
      PermissionModel: "SERVICE_MANAGED",
      AutoDeployment: { Enabled: true },
    });
    // The member stack (us-east-1) and the member regional forwarders (every other forward region).
    expect(stackSets.map((r) => r.Properties.StackInstancesGroup)).toEqual([
      [
        {
          DeploymentTargets: { OrganizationalUnitIds: ["ou-ab12-cdef3456", "ou-ab12-99998888"] },
          Regions: ["us-east-1"],
        },
      ],
      [
        {
          DeploymentTargets: { OrganizationalUnitIds: ["ou-ab12-cdef3456", "ou-ab12-99998888"] },
          Regions: ["eu-west-1", "us-west-2"],
        },
      ],
    ]);
    const bodies = stackSets.map((r, i) => {
      const path = join(outdir, `stackset-${i}.template.json`);
      writeFileSync(path, String(r.Properties.TemplateBody));
      return path;
    });
    expect(cfnLintErrors([...templates.map((t) => join(outdir, t)), ...bodies])).toEqual({
      errors: 0,
      output: [],
    });
  }, 120_000);
});

describe("a single account with forwardRegions (no organizationId)", () => {
  it("reads forwardRegions without an Organization, from context or LKR_FORWARD_REGIONS", () => {
    const fromContext = readAppSettings((k) => ({ forwardRegions: "eu-west-1, us-west-2" })[k], {});
    expect(fromContext.organization).toBeUndefined();
    expect(fromContext.forwardRegions).toEqual(["eu-west-1", "us-west-2"]);
    expect(readAppSettings(() => undefined, { LKR_FORWARD_REGIONS: "eu-central-1" }).forwardRegions).toEqual([
      "eu-central-1",
    ]);
    expect(readAppSettings(() => undefined, {}).forwardRegions).toBeUndefined();
  });

  function singleAccount(forwardRegions?: readonly string[]) {
    const app = new App({ context: NO_BUNDLING });
    return new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
      env: { account: ACCOUNT, region: "us-east-1" },
      responder: { notificationEmails: ["secops@example.com"], honeyKeyPath: "/ops/" },
      ...(forwardRegions === undefined ? {} : { forwardRegions }),
    });
  }
  const template = Template.fromStack(singleAccount(["eu-west-1", "us-east-1"]));
  const intakeRules = () =>
    Object.values(template.findResources("AWS::Events::Rule")).filter((r) =>
      JSON.stringify(r.Properties.EventBusName ?? "").includes("OrgSignalBus"),
    );

  it("has the intake bus, routing exactly the regional forwarders' patterns (GuardDuty, honey key use) to their lanes", () => {
    template.hasResourceProperties("AWS::Events::EventBus", { Name: centralBusName("LeakedKeyResponder") });
    expect(intakeRules()).toHaveLength(REGIONAL_FORWARDED_PATTERNS.length + 1);
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: Match.stringLikeRegexp("OrgSignalBus") },
      EventPattern: toWirePattern(REGIONAL_FORWARDED_PATTERNS[0]?.pattern ?? {}),
      Targets: [
        Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("RespondFunction"), "Arn"] } }),
      ],
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: Match.stringLikeRegexp("OrgSignalBus") },
      EventPattern: toWirePattern(honeyUsePattern("/ops/")),
      State: ALL_MANAGEMENT_EVENTS_STATE,
      Targets: [
        Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("InformationalQueue"), "Arn"] } }),
      ],
    });
    template.resourceCountIs("AWS::CloudFormation::StackSet", 0);
  });

  it("admits only this account's regional forwarder roles, without an Organization condition", () => {
    const forwarders = {
      "Fn::Join": [
        "",
        [
          "arn:",
          { Ref: "AWS::Partition" },
          ":iam::",
          { Ref: "AWS::AccountId" },
          ":role/LeakedKeyResponder-forwarder-*",
        ],
      ],
    };
    const bus = Object.values(template.findResources("AWS::Events::EventBus")).find(
      (r) => r.Properties.Name === centralBusName("LeakedKeyResponder"),
    );
    const statements = bus?.Properties.Policy.Statement as {
      Sid: string;
      Effect: string;
      Condition: object;
    }[];
    expect(statements.map((s) => [s.Sid, s.Effect])).toEqual([
      ["ForwardersPutForwardedSources", "Allow"],
      ["RegionalForwardersPutCloudTrailCalls", "Allow"],
      ["NoOneButTheForwarders", "Deny"],
      ["OnlyForwardedSources", "Deny"],
      ["ForwardersOnlyCloudTrailCallsBeyondSources", "Deny"],
    ]);
    expect(JSON.stringify(statements)).not.toContain("aws:PrincipalOrgID");
    expect(statements[0]?.Condition).toEqual({
      StringEquals: { "aws:PrincipalAccount": { Ref: "AWS::AccountId" } },
      "ForAllValues:StringEquals": { "events:source": ["aws.guardduty"] },
      ArnLike: { "aws:PrincipalArn": forwarders },
    });
    expect(statements[2]?.Condition).toEqual({ ArnNotLike: { "aws:PrincipalArn": forwarders } });
  });

  it("has no intake bus without forward regions, or with the home region only (the default synth is unchanged)", () => {
    for (const regions of [undefined, [], ["us-east-1"]]) {
      Template.fromStack(singleAccount(regions)).resourcePropertiesCountIs(
        "AWS::Events::EventBus",
        { Name: centralBusName("LeakedKeyResponder") },
        0,
      );
    }
  });

  it("passes cdk-nag AwsSolutions with no unacknowledged finding", () => {
    const app = new App({ context: NO_BUNDLING, outdir: mkdtempSync(join(tmpdir(), "lkr-single-nag-")) });
    new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
      env: { account: ACCOUNT, region: "us-east-1" },
      responder: { notificationEmails: ["secops@example.com"] },
      forwardRegions: ["eu-west-1"],
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, "validation-report.json"), "utf8")) as {
      pluginReports: { pluginName: string; violations?: unknown[] }[];
    };
    expect(report.pluginReports.map((r) => [r.pluginName, r.violations ?? []])).toEqual([
      ["AwsSolutions", []],
    ]);
  });

  it("refuses a forward region that is not a region name", () => {
    expect(() => singleAccount(["eu-west-1", "mars-1"])).toThrow(
      /forwardRegions contains "mars-1"; expected AWS region names/,
    );
  });

  it("offline synth writes one forwarder stack per listed region but the home one; cfn-lint finds no error", () => {
    const outdir = mkdtempSync(join(tmpdir(), "lkr-single-app-"));
    const context = {
      ...NO_BUNDLING,
      forwardRegions: "eu-west-1,us-west-2,us-east-1",
      notificationEmails: "secops@example.com",
    };
    execFileSync("npx", ["tsx", "infra/app.ts"], {
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      encoding: "utf8",
    });
    const templates = readdirSync(outdir)
      .filter((f) => f.endsWith(".template.json"))
      .sort();
    expect(templates).toEqual([
      "LeakedKeyResponder-Forwarder-eu-west-1.template.json",
      "LeakedKeyResponder-Forwarder-us-west-2.template.json",
      "LeakedKeyResponder.template.json",
    ]);
    const forwarder = Template.fromJSON(
      JSON.parse(readFileSync(join(outdir, templates[0] ?? ""), "utf8")) as Record<string, unknown>,
    );
    forwarder.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: toWirePattern(honeyUsePattern()),
      State: ALL_MANAGEMENT_EVENTS_STATE,
    });
    forwarder.hasResourceProperties("AWS::IAM::Role", { RoleName: "LeakedKeyResponder-forwarder-eu-west-1" });
    expect(cfnLintErrors(templates.map((t) => join(outdir, t)))).toEqual({ errors: 0, output: [] });
  }, 120_000);
});

describe("the member regional forwarders (every forward region but us-east-1 of every member account)", () => {
  const { template: central } = synthCentral({
    ...ORG,
    forwardRegions: ["eu-west-1", "us-east-1", "us-west-2"],
  });
  const stackSets = central.findResources("AWS::CloudFormation::StackSet");
  const regional = Object.values(stackSets).find((r) =>
    String(r.Properties.StackSetName).endsWith("-member-regions"),
  );
  const body = Template.fromJSON(
    JSON.parse(String(regional?.Properties.TemplateBody)) as Record<string, unknown>,
  );

  it("are a second service-managed StackSet, auto-deployed to the member OUs in the forward regions but us-east-1", () => {
    expect(Object.keys(stackSets)).toHaveLength(2);
    expect(regional?.Properties).toMatchObject({
      StackSetName: "LeakedKeyResponder-member-regions",
      PermissionModel: "SERVICE_MANAGED",
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: "DELEGATED_ADMIN",
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ["ou-ab12-cdef3456"] },
          Regions: ["eu-west-1", "us-west-2"],
        },
      ],
      Parameters: [{ ParameterKey: "CentralBusArn", ParameterValue: expect.anything() }],
    });
  });

  it("forward exactly honey key use, in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, to the central bus with a DLQ", () => {
    body.resourceCountIs("AWS::Events::Rule", 1);
    body.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: toWirePattern(honeyUsePattern()),
      State: ALL_MANAGEMENT_EVENTS_STATE,
      Targets: [
        {
          Id: Match.anyValue(),
          Arn: { Ref: "CentralBusArn" },
          RoleArn: { "Fn::GetAtt": [Match.stringLikeRegexp("ForwardRole"), "Arn"] },
          DeadLetterConfig: {
            Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("ForwardDeadLetterQueue"), "Arn"] },
          },
        },
      ],
    });
    body.resourceCountIs("AWS::SQS::Queue", 1);
  });

  it("hold one IAM resource pair only: a region-suffixed forwarding role, allowed only PutEvents on the central bus", () => {
    body.resourceCountIs("AWS::IAM::Role", 1);
    body.resourceCountIs("AWS::IAM::Policy", 1);
    body.resourceCountIs("AWS::IAM::ManagedPolicy", 0);
    body.hasResourceProperties("AWS::IAM::Role", {
      RoleName: { "Fn::Join": ["", ["LeakedKeyResponder-member-forwarder-", { Ref: "AWS::Region" }]] },
    });
    body.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: [{ Action: "events:PutEvents", Effect: "Allow", Resource: { Ref: "CentralBusArn" } }],
      },
    });
  });

  it("watch the central stack's honey key path", () => {
    const app = new App({ context: NO_BUNDLING });
    const ops = Template.fromStack(
      new LeakedKeyResponderStack(app, "LeakedKeyResponder", {
        env: { account: ACCOUNT, region: "us-east-1" },
        responder: { notificationEmails: ["secops@example.com"], honeyKeyPath: "/ops/" },
        organization: ORG,
      }),
    );
    const bodies = Object.values(ops.findResources("AWS::CloudFormation::StackSet")).map((r) =>
      Template.fromJSON(JSON.parse(String(r.Properties.TemplateBody)) as Record<string, unknown>),
    );
    expect(bodies).toHaveLength(2);
    for (const b of bodies) {
      b.hasResourceProperties("AWS::Events::Rule", {
        EventPattern: toWirePattern(honeyUsePattern("/ops/")),
        State: ALL_MANAGEMENT_EVENTS_STATE,
      });
    }
  });

  it("are not deployed when us-east-1 is the only forward region (the member stack forwards there)", () => {
    synthCentral({ ...ORG, forwardRegions: ["us-east-1"] }).template.resourceCountIs(
      "AWS::CloudFormation::StackSet",
      1,
    );
  });

  it("refuse a central stack name whose member forwarder role names IAM would not take", () => {
    expect(() => memberForwarderRoleName("x".repeat(20), "ap-southeast-2")).not.toThrow();
    expect(() => memberForwarderRoleName("x".repeat(20 + 15), "ap-southeast-2")).toThrow(
      /member forwarder role name .* IAM allows 64/,
    );
  });
});
