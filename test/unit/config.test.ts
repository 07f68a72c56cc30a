import { describe, expect, it } from "vitest";
import { parseRespondConfig } from "../../lambdas/core/config.js";
import { list, number, oneOf, optional, required, topicArn } from "../../lambdas/core/env.js";
import type { ConfigError } from "../../lambdas/core/errors.js";

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
      quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
      exemptPrincipals: [],
      honorExemptTag: false,
      sessionDenyPolicyArn: undefined,
      roleSessionRevokerFunction: undefined,
      responderRoleArns: [],
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
      honeyKeyPath: "/service/",
      honeyAlertCooldownSeconds: 3600,
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

  it("reads the exempt list as names or ARNs, the exempt-tag opt-in, the session-deny policy and the revoker", () => {
    const config = parseRespondConfig({
      ...BASE,
      EXEMPT_PRINCIPALS:
        "break-glass, arn:aws:iam::123456789012:user/ops/ci-deployer, arn:aws:iam::123456789012:role/Admin",
      HONOR_EXEMPT_TAG: "true",
      SESSION_DENY_POLICY_ARN: "arn:aws:iam::123456789012:policy/LeakedKeyResponder-SessionDeny",
      ROLE_SESSION_REVOKER_FUNCTION: "LeakedKeyResponder-Revoker",
      RESPONDER_ROLE_ARNS: "arn:aws:iam::123456789012:role/LeakedKeyResponder-RespondRole",
    });
    expect(config).toMatchObject({
      exemptPrincipals: ["break-glass", "ci-deployer", "Admin"],
      honorExemptTag: true,
      sessionDenyPolicyArn: "arn:aws:iam::123456789012:policy/LeakedKeyResponder-SessionDeny",
      roleSessionRevokerFunction: "LeakedKeyResponder-Revoker",
      responderRoleArns: ["arn:aws:iam::123456789012:role/LeakedKeyResponder-RespondRole"],
    });
    expect(parseRespondConfig({ ...BASE, HONOR_EXEMPT_TAG: "false" }).honorExemptTag).toBe(false);
  });

  it.each([
    [{ HONOR_EXEMPT_TAG: "yes" }, /HONOR_EXEMPT_TAG is "yes"; allowed: true, false/],
    [
      { EXEMPT_PRINCIPALS: "alice, arn:aws:s3:::bucket" },
      /EXEMPT_PRINCIPALS contains "arn:aws:s3:::bucket"; expected IAM user or role names or ARNs/,
    ],
    [
      { SESSION_DENY_POLICY_ARN: "SessionDeny" },
      /SESSION_DENY_POLICY_ARN is "SessionDeny"; expected a managed policy ARN/,
    ],
  ])("fails the cold start on %o, naming the variable", (env, message) => {
    expect(() => parseRespondConfig({ ...BASE, ...env })).toThrow(message);
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
    [
      { QUARANTINE_POLICY_ARN: "arn:aws:iam::aws:policy/AdministratorAccess" },
      /QUARANTINE_POLICY_ARN is "arn:aws:iam::aws:policy\/AdministratorAccess"; allowed: arn:<partition>:iam::aws:policy\/AWSCompromisedKeyQuarantine\*/,
    ],
    [
      { QUARANTINE_POLICY_ARN: "arn:aws:iam::aws:policy/service-role/AWSCompromisedKeyQuarantineV3" },
      /QUARANTINE_POLICY_ARN is "arn:aws:iam::aws:policy\/service-role\/AWSCompromisedKeyQuarantineV3"/,
    ],
    [{ MEMBER_ROLE_NAME: "bad role" }, /MEMBER_ROLE_NAME is "bad role"; expected an IAM role name/],
    [{ HONEY_KEY_PATH: "/" }, /HONEY_KEY_PATH: path "\/" is every user's/],
    [{ HONEY_KEY_PATH: "/honeypots/" }, /HONEY_KEY_PATH: path "\/honeypots\/" contains "honey"/],
    [{ HONEY_KEY_PATH: "service" }, /HONEY_KEY_PATH: path "service" is not an IAM path/],
    [
      { HONEY_ALERT_COOLDOWN_SECONDS: "-1" },
      /HONEY_ALERT_COOLDOWN_SECONDS is "-1"; allowed: an integer from 0 to 604800/,
    ],
  ])("fails the cold start on %j, naming the variable and what is allowed", (override, message) => {
    expect(() => parseRespondConfig({ ...BASE, ...override })).toThrow(message);
  });

  it.each([
    "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
    "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
    "arn:aws:iam::aws:policy/AWSDenyAll",
    "arn:aws-us-gov:iam::aws:policy/AWSDenyAll",
    "arn:aws:iam::123456789012:policy/LeakedKeyResponder-QuarantinePolicy-1A2B3C",
  ])("accepts the quarantine policy %s (AWS's deny-only family, or the stack's own policy)", (arn) => {
    expect(parseRespondConfig({ ...BASE, QUARANTINE_POLICY_ARN: arn }).quarantinePolicyArn).toBe(arn);
  });
});

describe("environment helpers shared by both functions", () => {
  it("reads trimmed values, treating blank as unset", () => {
    const env = { A: "  a ", BLANK: "  ", LIST: " x, ,y ,", N: " 7 " };
    expect([optional(env, "A"), optional(env, "BLANK"), optional(env, "MISSING")]).toEqual([
      "a",
      undefined,
      undefined,
    ]);
    expect([list(env, "LIST"), list(env, "BLANK"), list(env, "MISSING")]).toEqual([
      ["x", "y"],
      undefined,
      undefined,
    ]);
    expect(number(env, "N", 1, { min: 0, max: 10 })).toBe(7);
    expect(number(env, "BLANK", 1, { min: 0, max: 10 })).toBe(1);
    expect(oneOf(env, "BLANK", ["a", "b"], "b")).toBe("b");
  });

  it.each([
    [() => required({ A: " " }, "A"), "A", /^A must be set$/],
    [() => oneOf({ A: "c" }, "A", ["a", "b"], "a"), "A", /^A is "c"; allowed: a, b$/],
    [
      () => number({ N: "1e99" }, "N", 1, { min: 0, max: 10 }),
      "N",
      /^N is "1e99"; allowed: a number from 0 to 10$/,
    ],
    [
      () => number({ N: "2.5" }, "N", 1, { min: 0, max: 10, integer: true }),
      "N",
      /^N is "2.5"; allowed: an integer from 0 to 10$/,
    ],
    [() => topicArn({ T: "alerts" }, "T"), "T", /^T is "alerts"; expected an SNS topic ARN$/],
  ])("fails naming the variable and what is allowed (%#)", (read, variable, message) => {
    expect(read).toThrow(message);
    expect(read).toThrow(expect.objectContaining({ name: "ConfigError", variable }) as ConfigError);
  });
});
