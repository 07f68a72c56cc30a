import { describe, expect, it } from "vitest";
import type { ConfigError } from "../../../lambdas/core/errors.js";
import { parseInvestigateConfig } from "../../../lambdas/core/investigation/config.js";

const BASE = {
  INCIDENT_TABLE_NAME: "incidents",
  ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts",
};

describe("parseInvestigateConfig", () => {
  it("defaults to us-east-1 only, 72 hours before detection, 90 days at most, 20 session keys, checks after 30 minutes (when scheduled)", () => {
    expect(parseInvestigateConfig(BASE)).toEqual({
      incidentTableName: "incidents",
      alertTopicArn: "arn:aws:sns:us-east-1:123456789012:alerts",
      regions: ["us-east-1"],
      lookbackHours: 72,
      maxLookbackDays: 90,
      maxSessionKeys: 20,
      confirmAfterMinutes: 30,
    });
  });

  it("checks containment only with both the schedule group and the schedule role; one without the other fails the cold start", () => {
    const schedule = {
      SCHEDULE_GROUP_NAME: "checks",
      SCHEDULE_ROLE_ARN: "arn:aws:iam::123456789012:role/checks",
    };
    expect(parseInvestigateConfig({ ...BASE, ...schedule, CONFIRM_AFTER_MINUTES: "45" })).toMatchObject({
      confirmAfterMinutes: 45,
      schedule: { groupName: "checks", roleArn: "arn:aws:iam::123456789012:role/checks" },
    });
    expect(() => parseInvestigateConfig({ ...BASE, SCHEDULE_GROUP_NAME: "checks" })).toThrow(
      /SCHEDULE_ROLE_ARN is unset/,
    );
    expect(() => parseInvestigateConfig({ ...BASE, ...schedule, CONFIRM_AFTER_MINUTES: "1" })).toThrow(
      /CONFIRM_AFTER_MINUTES/,
    );
  });

  it("always searches us-east-1 first, then each configured region once", () => {
    const config = parseInvestigateConfig({
      ...BASE,
      INVESTIGATION_REGIONS: " eu-west-1, us-east-1 ,ap-southeast-2,eu-west-1,",
    });
    expect(config.regions).toEqual(["us-east-1", "eu-west-1", "ap-southeast-2"]);
  });

  it("reads the look-back settings", () => {
    expect(
      parseInvestigateConfig({
        ...BASE,
        LOOKBACK_HOURS: "24",
        MAX_LOOKBACK_DAYS: "30",
        MAX_SESSION_KEYS: "0",
      }),
    ).toMatchObject({
      lookbackHours: 24,
      maxLookbackDays: 30,
      maxSessionKeys: 0,
    });
  });

  it.each([
    [{ INCIDENT_TABLE_NAME: "" }, "INCIDENT_TABLE_NAME", /INCIDENT_TABLE_NAME must be set/],
    [{ ALERT_TOPIC_ARN: undefined }, "ALERT_TOPIC_ARN", /ALERT_TOPIC_ARN must be set/],
    [
      { ALERT_TOPIC_ARN: "alerts" },
      "ALERT_TOPIC_ARN",
      /ALERT_TOPIC_ARN is "alerts"; expected an SNS topic ARN/,
    ],
    [
      { INVESTIGATION_REGIONS: "eu-west-1,Ireland" },
      "INVESTIGATION_REGIONS",
      /INVESTIGATION_REGIONS contains "Ireland"/,
    ],
    [
      { LOOKBACK_HOURS: "72h" },
      "LOOKBACK_HOURS",
      /LOOKBACK_HOURS is "72h"; allowed: an integer from 1 to 2160/,
    ],
    [
      { MAX_LOOKBACK_DAYS: "91" },
      "MAX_LOOKBACK_DAYS",
      /MAX_LOOKBACK_DAYS is "91"; allowed: an integer from 1 to 90/,
    ],
    [
      { MAX_SESSION_KEYS: "-1" },
      "MAX_SESSION_KEYS",
      /MAX_SESSION_KEYS is "-1"; allowed: an integer from 0 to 100/,
    ],
  ])("fails the cold start on %j, naming %s", (override, variable, message) => {
    expect(() => parseInvestigateConfig({ ...BASE, ...override })).toThrow(message);
    expect(() => parseInvestigateConfig({ ...BASE, ...override })).toThrow(
      expect.objectContaining({ name: "ConfigError", variable }) as ConfigError,
    );
  });
});
