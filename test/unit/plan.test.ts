import { describe, expect, it } from "vitest";
import type { Exposure } from "../../lambdas/core/exposure.js";
import type { Incident } from "../../lambdas/core/incident.js";
import {
  evaluateRules,
  type PlanContext,
  type PrincipalFacts,
  planResponse,
} from "../../lambdas/core/plan.js";
import { GUARDDUTY_EXPOSURE, KEY, NOW } from "../support/exposures.js";

const POLICY = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const SESSION_DENY = "arn:aws:iam::123456789012:policy/LeakedKeyResponder-SessionDeny";
const exposure: Exposure = GUARDDUTY_EXPOSURE;
const alice: PrincipalFacts = {
  kind: "user",
  name: "alice",
  exempt: false,
  drillCanary: false,
  keyStatus: "Active",
};
const context: PlanContext = {
  mode: "enforce",
  now: NOW,
  quarantinePolicyArn: POLICY,
  sessionDenyPolicyArn: SESSION_DENY,
  exemptPrincipals: [],
  incident: undefined,
  facts: alice,
};

function incident(
  status: Incident["status"],
  signalIds: string[],
  alerted: string[],
  completed = alerted,
): Incident {
  return {
    incidentId: `123456789012-${KEY}`,
    accountId: "123456789012",
    accessKeyId: KEY,
    status,
    severity: "high",
    principal: { type: "user", name: "alice" },
    createdAt: NOW,
    updatedAt: NOW,
    mode: "enforce",
    sample: false,
    signalIds,
    alertedSignalIds: alerted,
    completedSignalIds: completed,
    signals: [],
    actions: [],
  };
}

describe("planResponse", () => {
  it("contains a user's long-term key: disable first, then record, fence, notify, emit", () => {
    const plan = planResponse(exposure, context);
    expect(plan.decision).toBe("contain");
    expect(plan.steps.map((s) => s.kind)).toEqual([
      "disable-key",
      "record-incident",
      "attach-quarantine-policy",
      "attach-session-deny-policy",
      "tag-principal",
      "notify",
      "emit-contained-event",
    ]);
    expect(plan.steps[0]).toEqual({
      kind: "disable-key",
      accessKeyId: KEY,
      userName: "alice",
      previousStatus: "Active",
    });
    // A user's sessions die by the stack's deny-only managed policy: no inline policy, no grant power.
    expect(plan.steps[3]).toEqual({
      kind: "attach-session-deny-policy",
      target: { type: "user", name: "alice" },
      policyArn: SESSION_DENY,
    });
    expect(plan.incidentId).toBe(`123456789012-${KEY}`);
  });

  it("never plans a step that names another key than the signal's", () => {
    const plan = planResponse(exposure, context);
    for (const step of plan.steps) {
      if ("accessKeyId" in step) expect(step.accessKeyId).toBe(KEY);
    }
  });

  it("denies the sessions first (an ASIA key cannot be disabled), then records and fences, for a user's session key", () => {
    const plan = planResponse(
      { ...exposure, accessKeyId: "ASIAIOSFODNN7EXAMPLE" },
      { ...context, facts: { ...alice, keyStatus: "session" } },
    );
    expect(plan.steps.map((s) => s.kind)).toEqual([
      "attach-session-deny-policy",
      "record-incident",
      "attach-quarantine-policy",
      "tag-principal",
      "notify",
      "emit-contained-event",
    ]);
  });

  it("disables and quarantines a user but revokes no session where no session-deny policy is configured", () => {
    const plan = planResponse(exposure, { ...context, sessionDenyPolicyArn: undefined });
    expect(plan.steps.map((s) => s.kind)).toEqual([
      "disable-key",
      "record-incident",
      "attach-quarantine-policy",
      "tag-principal",
      "notify",
      "emit-contained-event",
    ]);
  });

  it("only denies older sessions and tags, on a role", () => {
    const plan = planResponse(
      {
        ...exposure,
        accessKeyId: "ASIAIOSFODNN7EXAMPLE",
        principal: { type: "role", name: "web" },
        intent: "revoke-sessions",
      },
      { ...context, facts: { kind: "role", name: "web", exempt: false } },
    );
    expect(plan.steps.map((s) => s.kind)).toEqual([
      "revoke-sessions",
      "record-incident",
      "tag-principal",
      "notify",
      "emit-contained-event",
    ]);
  });

  it.each([
    ["notify-only mode", { ...exposure }, { mode: "notify-only" as const }, "notify-only mode"],
    [
      "a sample finding",
      { ...exposure, sample: true },
      {},
      "GuardDuty sample finding: reported, never acted on",
    ],
    [
      "an exempt tag the deployer honours",
      exposure,
      { facts: { ...alice, exempt: true }, honorExemptTag: true },
      "user alice is tagged leaked-key-responder:exempt=true",
    ],
    ["the exempt list", exposure, { exemptPrincipals: ["alice"] }, "user alice is on the exempt list"],
    [
      "a notify policy",
      { ...exposure, intent: "notify" as const },
      {},
      `${exposure.signal}: policy is to notify`,
    ],
  ])("withholds every IAM step for %s and says why", (_name, e, overrides, reason) => {
    const plan = planResponse(e, { ...context, ...overrides });
    expect(plan.decision).toBe("notify");
    expect(plan.steps.map((s) => s.kind)).toEqual(["record-incident", "notify"]);
    expect(plan.reasons).toContain(reason);
    expect(plan.status).toBe("notified");
  });

  it("reports what it would have done when it withholds", () => {
    const plan = planResponse(exposure, { ...context, mode: "notify-only" });
    expect(plan.withheld.map((s) => s.kind)).toEqual([
      "disable-key",
      "attach-quarantine-policy",
      "attach-session-deny-policy",
      "tag-principal",
    ]);
  });

  it("ignores the exempt tag unless the deployer opted in: a leaked key may have tagged itself", () => {
    const tagged = { ...context, facts: { ...alice, exempt: true } };
    expect(planResponse(exposure, tagged).decision).toBe("contain");
    expect(planResponse(exposure, { ...tagged, honorExemptTag: false }).decision).toBe("contain");
    expect(planResponse(exposure, { ...tagged, honorExemptTag: true }).decision).toBe("notify");
  });

  it.each([
    ["an untagged user", { facts: alice }],
    ["a role", { facts: { kind: "role" as const, name: "app", exempt: false } }],
    ["a user that does not exist", { facts: { kind: "not-found" as const, what: "user alice" } }],
  ])("ignores a drill for %s: nothing recorded, nothing alerted", (_name, overrides) => {
    const plan = planResponse({ ...exposure, source: "drill" }, { ...context, ...overrides });
    expect(plan).toMatchObject({
      decision: "ignore",
      steps: [],
      withheld: [],
      reasons: ["drill event for a principal not tagged leaked-key-responder:drill=true: ignored"],
    });
  });

  it("contains a drill key only for a user tagged as a drill canary", () => {
    const plan = planResponse(
      { ...exposure, source: "drill" },
      { ...context, facts: { ...alice, drillCanary: true } },
    );
    expect(plan.decision).toBe("contain");
  });

  it("never acts on a root key and says what a human must do", () => {
    const plan = planResponse(
      { ...exposure, principal: { type: "root" } },
      { ...context, facts: { kind: "not-looked-up" } },
    );
    expect(plan.decision).toBe("notify");
    expect(plan.withheld).toEqual([]);
    expect(plan.reasons[0]).toMatch(/^root user's key/);
  });

  it("does nothing to a key the user does not have", () => {
    const plan = planResponse(exposure, { ...context, facts: { ...alice, keyStatus: "absent" } });
    expect(plan.decision).toBe("notify");
    expect(plan.reasons).toEqual(["user alice has no such key"]);
  });

  it("fails closed when the principal lookup failed", () => {
    const plan = planResponse(exposure, {
      ...context,
      facts: { kind: "lookup-failed", error: "AccessDenied" },
    });
    expect(plan.decision).toBe("notify");
    expect(plan.reasons).toEqual(["principal lookup failed (AccessDenied): failing closed, nothing changed"]);
  });

  it("fails closed when a rule throws", () => {
    const throwing = [
      [
        "boom",
        () => {
          throw new Error("bad");
        },
      ],
    ] as const;
    expect(evaluateRules(exposure, context, throwing)).toEqual([
      "rule boom failed (Error: bad): failing closed",
    ]);
  });

  it("does nothing for a signal already completed, but redoes one alerted and not completed", () => {
    expect(
      planResponse(exposure, {
        ...context,
        incident: incident("contained", ["guardduty:f1"], ["guardduty:f1"], []),
      }).decision,
    ).toBe("contain");
    expect(
      planResponse(exposure, {
        ...context,
        incident: incident("contained", ["guardduty:f1"], ["guardduty:f1"]),
      }).decision,
    ).toBe("duplicate");
    expect(
      planResponse(exposure, { ...context, incident: incident("contained", ["guardduty:f1"], []) }).decision,
    ).toBe("contain");
  });

  it("contains a re-enabled or otherwise tampered key while the responder holds it: contained or resolved, never released", () => {
    const reenabled: Exposure = {
      ...exposure,
      source: "cloudtrail",
      signalId: "cloudtrail:x",
      intent: "recontain-if-open",
    };
    expect(
      planResponse(reenabled, {
        ...context,
        incident: incident("contained", ["guardduty:f1"], ["guardduty:f1"]),
      }).decision,
    ).toBe("contain");
    const resolved = planResponse(reenabled, { ...context, incident: incident("resolved", [], []) });
    expect(resolved.decision).toBe("contain");
    expect(resolved.status).toBe("contained");
    const released = planResponse(reenabled, { ...context, incident: incident("released", [], []) });
    expect(released).toMatchObject({
      decision: "ignore",
      reasons: ["incident released by an operator: their change is not tampering"],
    });
    expect(planResponse(reenabled, { ...context, incident: incident("notified", [], []) }).decision).toBe(
      "ignore",
    );
    expect(planResponse(reenabled, context).decision).toBe("ignore");
  });

  it("does not take a gone principal, or lkr drill removing a resolved drill's canary, for tampering", () => {
    const tampered: Exposure = {
      ...exposure,
      source: "cloudtrail",
      signalId: "cloudtrail:t",
      intent: "recontain-if-open",
    };
    const resolved = incident("resolved", [], []);
    expect(
      planResponse(tampered, {
        ...context,
        incident: resolved,
        facts: { kind: "not-found", what: "user alice" },
      }),
    ).toMatchObject({
      decision: "ignore",
      reasons: ["user alice does not exist any more: nothing to contain again"],
    });
    expect(
      planResponse(tampered, { ...context, incident: resolved, facts: { ...alice, drillCanary: true } }),
    ).toMatchObject({
      decision: "ignore",
      reasons: ["drill canary of a resolved drill: lkr drill is removing it"],
    });
    // A drill canary whose drill incident is still contained is re-contained like any other key.
    expect(
      planResponse(tampered, {
        ...context,
        incident: incident("contained", [], []),
        facts: { ...alice, drillCanary: true },
      }).decision,
    ).toBe("contain");
  });

  it("keeps a released incident's status when a later signal only notifies", () => {
    const plan = planResponse(
      { ...exposure, signalId: "guardduty:f2", intent: "notify" },
      { ...context, incident: incident("released", ["guardduty:f1"], ["guardduty:f1"]) },
    );
    expect(plan.status).toBe("released");
  });
});
