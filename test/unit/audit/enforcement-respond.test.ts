import { describe, expect, it } from "vitest";
import {
  AUDIT_ENFORCEMENT_DETAIL_TYPE,
  AUDIT_ENFORCEMENT_SOURCE,
} from "../../../lambdas/core/audit/enforcement.js";
import { InvalidEventError } from "../../../lambdas/core/errors.js";
import type { Incident } from "../../../lambdas/core/incident.js";
import { renderAlert } from "../../../lambdas/core/notification.js";
import { AUDIT_KEY_RELEASED, type PlanContext, planResponse } from "../../../lambdas/core/plan.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../../../lambdas/core/sources/guardduty.js";
import { normalizeEvent } from "../../../lambdas/core/sources/registry.js";
import { KEY, NOW } from "../../support/exposures.js";

const detail = {
  accountId: "123456789012",
  accessKeyId: KEY,
  userName: "alice",
  kinds: ["key-old", "admin-key"],
  dueAt: "2026-12-15T00:00:00.000Z",
  auditId: "audit#2026-12-15",
};

/** The event as EventBridge delivers what the audit function put on the responder's bus. */
function event(d: unknown = detail) {
  return {
    version: "0",
    id: "7b1e6c6a-0000-4000-8000-000000000001",
    "detail-type": AUDIT_ENFORCEMENT_DETAIL_TYPE,
    source: AUDIT_ENFORCEMENT_SOURCE,
    account: "123456789012",
    time: "2026-12-15T06:00:03Z",
    region: "us-east-1",
    resources: [],
    detail: d,
  };
}

function exposureOf(e: unknown) {
  const normalized = normalizeEvent(e, { guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY });
  if (normalized.kind !== "exposures") throw new Error("not normalized");
  return normalized.exposures;
}

const context: PlanContext = {
  mode: "enforce",
  now: NOW,
  quarantinePolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
  exemptPrincipals: [],
  incident: undefined,
  facts: { kind: "user", name: "alice", exempt: false, drillCanary: false, keyStatus: "Active" },
};

describe("the audit's enforcement signal in the respond function", () => {
  it("is one exposure of exactly the key named, to contain, with a signal id stable across daily re-sends", () => {
    const [exposure, ...rest] = exposureOf(event());
    expect(rest).toEqual([]);
    expect(exposure).toMatchObject({
      source: "audit",
      signal: "AUDIT_ENFORCEMENT_DUE",
      signalId: `audit:${KEY}:2026-12-15T00:00:00.000Z`,
      accountId: "123456789012",
      accessKeyId: KEY,
      principal: { type: "user", name: "alice" },
      intent: "contain",
      evidence: {
        kinds: "key-old,admin-key",
        dueAt: "2026-12-15T00:00:00.000Z",
        auditId: "audit#2026-12-15",
      },
    });
    const again = exposureOf({ ...event(), id: "another-delivery", time: "2026-12-16T06:00:03Z" });
    expect(again[0]?.signalId).toBe(exposure?.signalId);
  });

  it.each([
    ["no kind", { ...detail, kinds: [] }],
    ["a kind that cannot be enforced", { ...detail, kinds: ["root-key"] }],
    ["a session key", { ...detail, accessKeyId: "ASIAIOSFODNN7EXAMPLE" }],
    ["no user", { ...detail, userName: undefined }],
  ])("is an invalid event (to the DLQ) with %s", (_what, bad) => {
    expect(() => exposureOf(event(bad))).toThrow(InvalidEventError);
  });

  it("contains the key like any signal: disable that key first, then record, fence, notify", () => {
    const [exposure] = exposureOf(event());
    const plan = planResponse(exposure ?? expect.fail("no exposure"), context);
    expect(plan.decision).toBe("contain");
    expect(plan.steps[0]).toEqual({
      kind: "disable-key",
      accessKeyId: KEY,
      userName: "alice",
      previousStatus: "Active",
    });
    const alert = renderAlert({
      exposure: exposure ?? expect.fail("no exposure"),
      plan,
      principalName: "alice",
      actions: [],
      mode: "enforce",
      stackName: "LeakedKeyResponder",
    });
    expect(alert.subject).toMatch(/Hygiene-enforced key AKIA\S+ disabled - user alice/);
    expect(alert.text).toContain(
      "announced this key (key-old,admin-key) and disabled it when its date (2026-12-15)",
    );
    expect(alert.text).toContain(`npx leaked-key-responder release ${plan.incidentId}`);
  });

  it("honours the exempt list (notify, never touch) and notify-only mode", () => {
    const [exposure] = exposureOf(event());
    const e = exposure ?? expect.fail("no exposure");
    expect(planResponse(e, { ...context, exemptPrincipals: ["ALICE"] })).toMatchObject({
      decision: "notify",
      reasons: ["user alice is on the exempt list"],
    });
    expect(planResponse(e, { ...context, mode: "notify-only" }).decision).toBe("notify");
  });

  it.each(["released", "releasing"] as const)(
    "does not disable again a key an operator %s (the audit does not overrule them)",
    (status) => {
      const [exposure] = exposureOf(event());
      const released = {
        incidentId: `123456789012-${KEY}`,
        accountId: "123456789012",
        accessKeyId: KEY,
        status,
        severity: "medium",
        principal: { type: "user", name: "alice" },
        createdAt: NOW,
        updatedAt: NOW,
        mode: "enforce",
        sample: false,
        signalIds: [],
        alertedSignalIds: [],
        completedSignalIds: [],
        signals: [],
        actions: [],
      } as Incident;
      const plan = planResponse(exposure ?? expect.fail("no exposure"), { ...context, incident: released });
      expect(plan).toMatchObject({ decision: "ignore", reasons: [AUDIT_KEY_RELEASED], steps: [] });
    },
  );
});
