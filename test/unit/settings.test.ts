import { describe, expect, it } from "vitest";
import { envNameOf, readAppSettings } from "../../infra/settings.js";

const none = () => undefined;

describe("readAppSettings", () => {
  it("works with no context and no environment (offline synth)", () => {
    expect(readAppSettings(none, {})).toEqual({
      stackName: "LeakedKeyResponder",
      homeRegion: undefined,
      allowNonDefaultHomeRegion: false,
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
