import { describe, expect, it } from "vitest";
import { parseRespondConfig } from "../../lambdas/core/config.js";

const BASE = {
  INCIDENT_TABLE_NAME: "incidents",
  ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts",
};

describe("parseRespondConfig", () => {
  it("applies the documented defaults", () => {
    expect(parseRespondConfig(BASE)).toEqual({
      incidentTableName: "incidents",
      alertTopicArn: "arn:aws:sns:us-east-1:123456789012:alerts",
      mode: "enforce",
      quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
      exemptPrincipals: [],
      guardDutyPolicy: {
        containTypePatterns: [
          "*/MaliciousIPCaller",
          "*/MaliciousIPCaller.Custom",
          "*/TorIPCaller",
          "PenTest:IAMUser/*",
        ],
        containMinSeverity: 7,
      },
      eventBusName: "default",
      stackName: "LeakedKeyResponder",
      memberRoleName: undefined,
    });
  });

  it("reads every override", () => {
    const config = parseRespondConfig({
      ...BASE,
      RESPONSE_MODE: "notify-only",
      EXEMPT_PRINCIPALS: " break-glass , ci-deployer ,",
      GUARDDUTY_CONTAIN_TYPES: "*/TorIPCaller",
      GUARDDUTY_CONTAIN_MIN_SEVERITY: "8.5",
      QUARANTINE_POLICY_ARN: "arn:aws:iam::123456789012:policy/MyQuarantine",
      MEMBER_ROLE_NAME: "LeakedKeyResponderMember",
    });
    expect(config).toMatchObject({
      mode: "notify-only",
      exemptPrincipals: ["break-glass", "ci-deployer"],
      guardDutyPolicy: { containTypePatterns: ["*/TorIPCaller"], containMinSeverity: 8.5 },
      quarantinePolicyArn: "arn:aws:iam::123456789012:policy/MyQuarantine",
      memberRoleName: "LeakedKeyResponderMember",
    });
  });

  it.each([
    [{ INCIDENT_TABLE_NAME: "" }, /INCIDENT_TABLE_NAME must be set/],
    [{ ALERT_TOPIC_ARN: undefined }, /ALERT_TOPIC_ARN must be set/],
    [{ ALERT_TOPIC_ARN: "alerts" }, /ALERT_TOPIC_ARN is "alerts"; expected an SNS topic ARN/],
    [{ RESPONSE_MODE: "dry-run" }, /RESPONSE_MODE is "dry-run"; allowed: enforce, notify-only/],
    [
      { GUARDDUTY_CONTAIN_MIN_SEVERITY: "high" },
      /GUARDDUTY_CONTAIN_MIN_SEVERITY is "high"; allowed: a number from 0 to 10/,
    ],
    [
      { QUARANTINE_POLICY_ARN: "AWSCompromisedKeyQuarantineV3" },
      /QUARANTINE_POLICY_ARN is "AWSCompromisedKeyQuarantineV3"/,
    ],
    [{ MEMBER_ROLE_NAME: "bad role" }, /MEMBER_ROLE_NAME is "bad role"; expected an IAM role name/],
  ])("fails the cold start on %j, naming the variable and what is allowed", (override, message) => {
    expect(() => parseRespondConfig({ ...BASE, ...override })).toThrow(message);
  });
});
