import { describe, expect, it } from "vitest";
import { parseAuditConfig } from "../../../lambdas/core/audit/config.js";
import { AUDIT_ENV } from "../../../lambdas/core/contract.js";

const base = {
  INCIDENT_TABLE_NAME: "incidents",
  ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts",
};

describe("parseAuditConfig", () => {
  it("applies the documented defaults", () => {
    expect(parseAuditConfig(base)).toEqual({
      incidentTableName: "incidents",
      alertTopicArn: base.ALERT_TOPIC_ARN,
      thresholds: { maxKeyAgeDays: 90, unusedDays: 45, newKeyGraceDays: 7, rootRecentDays: 30 },
      mode: "all",
      enforcement: { policy: {}, exemptPrincipals: [] },
      eventBusName: undefined,
    });
  });

  it("reads every variable of the contract", () => {
    expect(AUDIT_ENV).toEqual({
      incidentTableName: "INCIDENT_TABLE_NAME",
      alertTopicArn: "ALERT_TOPIC_ARN",
      maxKeyAgeDays: "AUDIT_MAX_KEY_AGE_DAYS",
      unusedDays: "AUDIT_UNUSED_DAYS",
      newKeyGraceDays: "AUDIT_NEW_KEY_GRACE_DAYS",
      rootRecentDays: "AUDIT_ROOT_RECENT_DAYS",
      alertMode: "AUDIT_ALERT_MODE",
      enforce: "AUDIT_ENFORCE",
      exemptPrincipals: "EXEMPT_PRINCIPALS",
      eventBusName: "EVENT_BUS_NAME",
      chatTopicArn: "CHAT_TOPIC_ARN",
      memberRoleName: "MEMBER_ROLE_NAME",
    });
    const config = parseAuditConfig({
      ...base,
      AUDIT_MAX_KEY_AGE_DAYS: "180",
      AUDIT_UNUSED_DAYS: "30",
      AUDIT_NEW_KEY_GRACE_DAYS: "0",
      AUDIT_ROOT_RECENT_DAYS: "1",
      AUDIT_ALERT_MODE: "change-only",
    });
    expect(config.thresholds).toEqual({
      maxKeyAgeDays: 180,
      unusedDays: 30,
      newKeyGraceDays: 0,
      rootRecentDays: 1,
    });
    expect(config.mode).toBe("change-only");
  });

  it("reads enforcement: days of notice per kind, the exempt list as names, the responder's bus", () => {
    const config = parseAuditConfig({
      ...base,
      AUDIT_ENFORCE: " key-old=30 , key-never-used=0",
      EXEMPT_PRINCIPALS: "breakglass,arn:aws:iam::123456789012:user/ops/ci-deployer",
      EVENT_BUS_NAME: "responder-bus",
    });
    expect(config.enforcement).toEqual({
      policy: { "key-old": 30, "key-never-used": 0 },
      exemptPrincipals: ["breakglass", "ci-deployer"],
    });
    expect(config.eventBusName).toBe("responder-bus");
  });

  it("reads the member role of an Organization deployment; unset: the home account only", () => {
    expect(parseAuditConfig({ ...base, MEMBER_ROLE_NAME: "LkrMember" }).memberRoleName).toBe("LkrMember");
    expect(parseAuditConfig(base).memberRoleName).toBeUndefined();
  });

  it.each([
    [{ AUDIT_ALERT_MODE: "sometimes" }, /AUDIT_ALERT_MODE is "sometimes"; allowed: all, change-only/],
    [{ AUDIT_MAX_KEY_AGE_DAYS: "0" }, /AUDIT_MAX_KEY_AGE_DAYS is "0"; allowed: an integer from 1 to 3650/],
    [{ AUDIT_UNUSED_DAYS: "4.5" }, /AUDIT_UNUSED_DAYS/],
    [{ ALERT_TOPIC_ARN: "alerts" }, /ALERT_TOPIC_ARN is "alerts"; expected an SNS topic ARN/],
    [{ INCIDENT_TABLE_NAME: " " }, /INCIDENT_TABLE_NAME must be set/],
    [{ AUDIT_ENFORCE: "root-key=5" }, /AUDIT_ENFORCE is "root-key=5": "root-key" is not an enforceable kind/],
    [{ AUDIT_ENFORCE: "key-old=400" }, /AUDIT_ENFORCE is "key-old=400": key-old=400: days out of range/],
    [{ AUDIT_ENFORCE: "key-old" }, /AUDIT_ENFORCE is "key-old": "key-old" is not kind=days/],
    [{ EXEMPT_PRINCIPALS: "not a name" }, /EXEMPT_PRINCIPALS contains "not a name"/],
  ])("fails the cold start on %o, naming the variable", (bad, message) => {
    expect(() => parseAuditConfig({ ...base, ...bad })).toThrow(message);
  });
});
