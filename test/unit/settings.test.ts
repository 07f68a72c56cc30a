import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { closestName } from "../../infra/did-you-mean.js";
import {
  collectAppSettings,
  envNameOf,
  readAppSettings,
  SETTING_KEYS,
  unknownSettingProblems,
} from "../../infra/settings.js";

const none = () => undefined;

describe("readAppSettings", () => {
  it("works with no context and no environment (offline synth)", () => {
    expect(readAppSettings(none, {})).toEqual({
      stackName: "LeakedKeyResponder",
      homeRegion: undefined,
      allowNonDefaultHomeRegion: false,
      allowNoSubscribers: false,
      responder: {
        notificationEmails: undefined,
        slackChannel: undefined,
        teamsChannel: undefined,
        responseMode: undefined,
        exemptPrincipals: undefined,
        honorExemptTag: undefined,
        guardDutyContainTypes: undefined,
        guardDutyContainMinSeverity: undefined,
        quarantinePolicyArn: undefined,
        memberRoleName: undefined,
        reservedConcurrency: undefined,
        investigationRegions: undefined,
        stackNameForCli: "LeakedKeyResponder",
      },
    });
  });

  it("reads audit enforcement (-c auditEnforce=... or LKR_AUDIT_ENFORCE): days of notice per finding kind", () => {
    expect(envNameOf("auditEnforce")).toBe("LKR_AUDIT_ENFORCE");
    expect(readAppSettings(none, { LKR_AUDIT_ENFORCE: "key-old=30,key-unused=14" }).responder.audit).toEqual({
      enforce: { "key-old": 30, "key-unused": 14 },
    });
    expect(readAppSettings(none, {}).responder.audit).toBeUndefined();
    expect(() => readAppSettings((k) => (k === "auditEnforce" ? "root-key=1" : undefined), {})).toThrow(
      'auditEnforce is "root-key=1": "root-key" is not an enforceable kind',
    );
  });

  it("reads context first, then LKR_ environment variables", () => {
    const context: Record<string, unknown> = {
      notificationEmails: ["a@example.com", "b@example.com"],
      responseMode: "notify-only",
    };
    const settings = readAppSettings((k) => context[k], {
      LKR_RESPONSE_MODE: "enforce",
      LKR_EXEMPT_PRINCIPALS: "break-glass, ci",
      LKR_SLACK_WORKSPACE_ID: "T0",
      LKR_SLACK_CHANNEL_ID: "C0",
      LKR_GUARD_DUTY_CONTAIN_MIN_SEVERITY: "8",
    });
    expect(settings.responder).toMatchObject({
      notificationEmails: ["a@example.com", "b@example.com"],
      responseMode: "notify-only",
      exemptPrincipals: ["break-glass", "ci"],
      slackChannel: { workspaceId: "T0", channelId: "C0" },
      guardDutyContainMinSeverity: 8,
    });
    expect(envNameOf("guardDutyContainMinSeverity")).toBe("LKR_GUARD_DUTY_CONTAIN_MIN_SEVERITY");
  });

  it("opts in to the exempt tag only when told true (context -c honorExemptTag=true or LKR_HONOR_EXEMPT_TAG)", () => {
    expect(readAppSettings(() => undefined, {}).responder.honorExemptTag).toBeUndefined();
    expect(readAppSettings(() => undefined, { LKR_HONOR_EXEMPT_TAG: "true" }).responder.honorExemptTag).toBe(
      true,
    );
    expect(
      readAppSettings((k) => (k === "honorExemptTag" ? "false" : undefined), {}).responder.honorExemptTag,
    ).toBe(false);
  });

  it.each([
    [{ slackWorkspaceId: "T0" }, /slackWorkspaceId \+ slackChannelId go together; missing: slackChannelId/],
    [{ teamsTeamId: "x", teamsChannelId: "y" }, /missing: teamsTenantId/],
    [{ reservedConcurrency: "lots" }, /reservedConcurrency is "lots"; expected a number/],
    [{ honorExemptTag: "yes" }, /honorExemptTag is "yes"; allowed: true, false/],
  ])("rejects %j with a message saying what is missing or wrong", (context, message) => {
    const values: Record<string, unknown> = context;
    expect(() => readAppSettings((k) => values[k], {})).toThrow(message);
  });
});

describe("unknownSettingProblems", () => {
  it("refuses a mistyped context key, suggesting the setting meant", () => {
    expect(unknownSettingProblems(["notificationEmail", "responseMode"], {})).toEqual([
      'context key "notificationEmail" is not a setting; did you mean "notificationEmails"?',
    ]);
    expect(unknownSettingProblems(["guardDutyContainMinSeverty", "investigation_regions"], {})).toEqual([
      'context key "guardDutyContainMinSeverty" is not a setting; did you mean "guardDutyContainMinSeverity"?',
      'context key "investigation_regions" is not a setting; did you mean "investigationRegions"?',
    ]);
  });

  it("lists every setting when no known key is near, and still asks 'did you mean'", () => {
    const [problem] = unknownSettingProblems(["colour"], {});
    expect(problem).toMatch(
      /^context key "colour" is not a setting; did you mean one of: stackName, homeRegion, .*forwardRegions.*\?$/,
    );
  });

  it("refuses a mistyped LKR_ variable the same way, and leaves other variables and lkr's own alone", () => {
    const env = {
      LKR_NOTIFICATON_EMAILS: "a@example.com",
      LKR_RESPONSE_MODE: "enforce",
      LKR_TABLE: "t",
      LKR_TOPIC: "arn:aws:sns:us-east-1:123456789012:t",
      LKR_EVENT_BUS: "b",
      HOME: "/home/x",
    };
    expect(unknownSettingProblems([], env)).toEqual([
      'environment variable LKR_NOTIFICATON_EMAILS is not a setting; did you mean "LKR_NOTIFICATION_EMAILS"?',
    ]);
  });

  it("lets the CDK's own context be: cdk.json's feature flags, the CLI's aws:cdk:* keys, lookups, notices", () => {
    const cdkJson = JSON.parse(readFileSync("cdk.json", "utf8")) as { context: Record<string, unknown> };
    const cdkKeys = [
      ...Object.keys(cdkJson.context),
      "aws:cdk:enable-path-metadata",
      "aws:cdk:bundling-stacks",
      "@aws-cdk/core:failSynthOnValidationErrors",
      "availability-zones:account=123456789012:region=us-east-1",
      "acknowledged-issue-numbers",
      "cdk-toolkit-version",
    ];
    expect(unknownSettingProblems([...cdkKeys, ...SETTING_KEYS], {})).toEqual([]);
  });

  it("knows the Organization keys (#13) already", () => {
    expect(SETTING_KEYS).toEqual(
      expect.arrayContaining([
        "organizationId",
        "memberOrganizationalUnitIds",
        "forwardRegions",
        "memberRoleName",
      ]),
    );
  });
});

describe("collectAppSettings", () => {
  it("collects every problem, each naming the context key or the LKR_ variable it came from", () => {
    const context: Record<string, unknown> = {
      honorExemptTag: "yes",
      slackWorkspaceId: "T0",
      allowNoSubscribers: "1",
      homeRegion: "mars-1",
      stackName: "my stack",
    };
    const { settings, problems } = collectAppSettings((k) => context[k], {
      LKR_GUARD_DUTY_CONTAIN_MIN_SEVERITY: "high",
    });
    expect(problems).toEqual([
      "slackWorkspaceId + slackChannelId go together; missing: slackChannelId",
      'stackName is "my stack"; expected a CloudFormation stack name: letters, digits and hyphens, starting with a letter, at most 128',
      'homeRegion is "mars-1"; expected an AWS region name such as us-east-1',
      'allowNoSubscribers is "1"; allowed: true, false',
      'honorExemptTag is "yes"; allowed: true, false',
      'LKR_GUARD_DUTY_CONTAIN_MIN_SEVERITY is "high"; expected a number',
    ]);
    // A value with a problem is left out, so the construct can still report its own problems.
    expect(settings.responder.honorExemptTag).toBeUndefined();
    expect(settings.responder.guardDutyContainMinSeverity).toBeUndefined();
    expect(settings.allowNoSubscribers).toBe(false);
    expect(settings.homeRegion).toBeUndefined();
  });

  it("reads allowNoSubscribers=true from context or LKR_ALLOW_NO_SUBSCRIBERS", () => {
    expect(
      collectAppSettings((k) => (k === "allowNoSubscribers" ? true : undefined), {}).settings
        .allowNoSubscribers,
    ).toBe(true);
    expect(collectAppSettings(none, { LKR_ALLOW_NO_SUBSCRIBERS: "true" }).settings.allowNoSubscribers).toBe(
      true,
    );
  });
});

describe("closestName", () => {
  it.each([
    ["notificationEmail", "notificationEmails"],
    ["NOTIFICATION_EMAILS", "notificationEmails"],
    ["responsemode", "responseMode"],
    ["homeRegoin", "homeRegion"],
    ["colour", undefined],
    ["x", undefined],
  ])("%s → %s", (name, expected) => {
    expect(closestName(name, SETTING_KEYS)).toBe(expected);
  });
});

describe("the webhook settings", () => {
  const read = (context: Record<string, string>, env: Record<string, string> = {}) =>
    collectAppSettings((k) => context[k], env);
  const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:lkr/slack-webhook";

  it("reads webhookSecretArn and webhookFormat (slack unless told), from context or LKR_ variables", () => {
    expect(read({ webhookSecretArn: ARN })).toMatchObject({
      settings: { webhook: { secretArn: ARN, format: "slack" } },
      problems: [],
    });
    expect(read({}, { LKR_WEBHOOK_SECRET_ARN: ARN, LKR_WEBHOOK_FORMAT: "teams" })).toMatchObject({
      settings: { webhook: { secretArn: ARN, format: "teams" } },
      problems: [],
    });
    expect(read({}).settings.webhook).toBeUndefined();
  });

  it("refuses an unknown format, a format without a secret and an ARN that is no secret's (without echoing it: it may be the URL)", () => {
    expect(read({ webhookSecretArn: ARN, webhookFormat: "discord" }).problems).toEqual([
      'webhookFormat is "discord"; allowed: slack, teams',
    ]);
    expect(read({}, { LKR_WEBHOOK_FORMAT: "teams" }).problems).toEqual([
      "LKR_WEBHOOK_FORMAT is set but webhookSecretArn is not; set both",
    ]);
    expect(read({ webhookSecretArn: "https://hooks.slack.com/services/T0/B0/x" }).problems).toEqual([
      "webhookSecretArn is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>); store the webhook URL in a secret and give its ARN",
    ]);
  });
});
