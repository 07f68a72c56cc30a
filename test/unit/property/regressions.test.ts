/** Bugs the property suites found, each pinned by the smallest event or context that showed it. */
import { describe, expect, it } from "vitest";
import { type PlanContext, planResponse } from "../../../lambdas/core/plan.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../../../lambdas/core/sources/guardduty.js";
import { normalizeEvent } from "../../../lambdas/core/sources/registry.js";
import { readFixture } from "../../support/events.js";
import { GUARDDUTY_EXPOSURE, NOW } from "../../support/exposures.js";

const options = { guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY };

type Json = Record<string, unknown>;

function child(node: Json, key: string): Json {
  return node[key] as Json;
}

function sampleFinding(change: (accessKeyDetails: Json) => void): Json {
  const event = structuredClone(readFixture("aws.guardduty/sample-finding.json"));
  change(child(child(child(event, "detail"), "resource"), "accessKeyDetails"));
  return event;
}

function healthEvent(eventTypeCode: string): Json {
  const event = structuredClone(readFixture("aws.health/risk-credentials-exposed-legacy-minimal.json"));
  child(event, "detail").eventTypeCode = eventTypeCode;
  return event;
}

describe("GuardDuty sample finding without an access key id", () => {
  it("keeps the placeholder the sample carries (good case)", () => {
    const result = normalizeEvent(
      sampleFinding(() => {}),
      options,
    );
    expect(result).toMatchObject({
      kind: "exposures",
      exposures: [{ accessKeyId: "GeneratedFindingAccessKeyId", sample: true, intent: "notify" }],
    });
  });

  // Found by "never yields a key not in the event": the parser made up the key id "" (incident "123456789012-").
  it("is malformed: no key id is made up", () => {
    const event = sampleFinding((details) => {
      delete details.accessKeyId;
    });
    expect(() => normalizeEvent(event, options)).toThrow(
      expect.objectContaining({
        name: "InvalidEventError",
        issues: ["resource.accessKeyDetails.accessKeyId: missing"],
      }),
    );
  });
});

describe("Health event type codes that name Object.prototype members", () => {
  it("AWS_RISK_CREDENTIALS_EXPOSED is a key event (good case)", () => {
    expect(normalizeEvent(healthEvent("AWS_RISK_CREDENTIALS_EXPOSED"), options)).toMatchObject({
      kind: "exposures",
      exposures: [{ accessKeyId: "AKIAHEALTH003EXAMPLE", severity: "critical", intent: "contain" }],
    });
  });

  // Found by "every exposure is well-formed": the severity lookup found Object.prototype.toString
  // (or Object.prototype for "__proto__"), so an unknown RISK code planned containment.
  it.each(["toString", "__proto__", "constructor", "hasOwnProperty", "valueOf"])(
    "%s is not a key event: no exposure",
    (eventTypeCode) => {
      expect(normalizeEvent(healthEvent(eventTypeCode), options)).toMatchObject({
        kind: "exposures",
        exposures: [],
      });
    },
  );
});

describe("exempt list against IAM names, which are not distinguished by case", () => {
  const context: PlanContext = {
    mode: "enforce",
    now: NOW,
    quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
    exemptPrincipals: [],
    incident: undefined,
    facts: { kind: "user", name: "alice", exempt: false, drillCanary: false, keyStatus: "Active" },
  };

  it("contains a user whose name is not on the list (good case)", () => {
    expect(planResponse(GUARDDUTY_EXPOSURE, { ...context, exemptPrincipals: ["alicia"] }).decision).toBe(
      "contain",
    );
  });

  // Found by "never contains an exempt principal": ["Alice"] did not exempt IAM user "alice", the same user.
  it.each([["Alice"], ["ALICE"], ["aLiCe"]])(
    "does not contain user alice when the list says %s",
    (listed) => {
      const plan = planResponse(GUARDDUTY_EXPOSURE, { ...context, exemptPrincipals: [listed] });
      expect(plan.decision).toBe("notify");
      expect(plan.steps.map((s) => s.kind)).toEqual(["record-incident", "notify"]);
      expect(plan.reasons).toEqual(["user alice is on the exempt list"]);
    },
  );

  it("does not touch role web when the list says WEB", () => {
    const plan = planResponse(
      { ...GUARDDUTY_EXPOSURE, principal: { type: "role", name: "web" }, intent: "revoke-sessions" },
      { ...context, exemptPrincipals: ["WEB"], facts: { kind: "role", name: "web", exempt: false } },
    );
    expect(plan.decision).toBe("notify");
    expect(plan.reasons).toEqual(["role web is on the exempt list"]);
  });
});
