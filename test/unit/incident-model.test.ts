import { describe, expect, it } from "vitest";
import { upgradeLegacyAction } from "../../lambdas/adapters/dynamodb-legacy.js";
import { incidentFromItem } from "../../lambdas/adapters/dynamodb-support.js";
import { ActionRecordSchema } from "../../lambdas/core/incident.js";
import { UndoFactsError } from "../../lambdas/core/release/errors.js";
import { planRelease } from "../../lambdas/core/release/plan.js";

const KEY = "AKIAIOSFODNN7EXAMPLE";
const ID = `123456789012-${KEY}`;
const AT = "2026-11-28T12:00:00.000Z";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const TAG = `leaked-key-responder:quarantine:${KEY}`;

/** An incident item as version 0.1.0 stored it: targets as text, undo facts as strings, sets as Sets. */
function legacyItem(actions: Record<string, unknown>[]): Record<string, unknown> {
  return {
    incidentId: ID,
    accountId: "123456789012",
    accessKeyId: KEY,
    status: "contained",
    severity: "high",
    principal: { type: "user", name: "alice" },
    createdAt: AT,
    updatedAt: AT,
    mode: "enforce",
    sample: false,
    signalIds: new Set(["s1"]),
    alertedSignalIds: new Set(["s1"]),
    signals: [],
    actions,
  };
}

const legacyActions = [
  {
    kind: "disable-key",
    target: `${KEY} (user alice)`,
    at: AT,
    outcome: "done",
    signalId: "s1",
    undo: { previousStatus: "Active" },
  },
  {
    kind: "attach-quarantine-policy",
    target: "user alice",
    at: AT,
    outcome: "done",
    signalId: "s1",
    undo: { policyArn: QUARANTINE },
  },
  {
    kind: "tag-principal",
    target: "user alice",
    at: AT,
    outcome: "done",
    signalId: "s1",
    undo: { tagKeys: `${TAG}, other` },
  },
  {
    kind: "release",
    target: "123456789012-AKIAOLDOLDOLDOLDOLD1",
    at: AT,
    outcome: "done",
    signalId: "lkr:release:x",
  },
];

describe("stored incidents of older versions", () => {
  it("load as typed records: subjects from the text, tag keys as a list, sets as sorted arrays", () => {
    const incident = incidentFromItem(legacyItem(legacyActions));
    expect(incident.signalIds).toEqual(["s1"]);
    expect(incident.actions.map((a) => [a.kind, a.subject])).toEqual([
      ["disable-key", { type: "key", accessKeyId: KEY, userName: "alice" }],
      ["attach-quarantine-policy", { type: "user", name: "alice" }],
      ["tag-principal", { type: "user", name: "alice" }],
      ["release", { type: "incident", incidentId: "123456789012-AKIAOLDOLDOLDOLDOLD1" }],
    ]);
    expect(incident.actions[2]).toMatchObject({ undo: { tagKeys: [TAG, "other"] } });
    expect(incident.actions[0]?.target).toBe(`${KEY} (user alice)`);
  });

  it("plan the same release as records written today", () => {
    const legacy = incidentFromItem(legacyItem(legacyActions.slice(0, 3)));
    const current = incidentFromItem(legacyItem(legacy.actions.map((a) => ({ ...a }))));
    expect(planRelease(legacy)).toEqual(planRelease(current));
    expect(planRelease(legacy).steps.map((s) => s.kind)).toEqual([
      "reactivate-key",
      "detach-quarantine-policy",
      "untag-principal",
    ]);
  });

  it("leave a record whose text names nothing without a subject, and a release refuses to guess", () => {
    const odd = {
      kind: "revoke-sessions",
      target: "group admins",
      at: AT,
      outcome: "done",
      signalId: "s1",
      undo: { policyName: "p" },
    };
    const incident = incidentFromItem(legacyItem([odd]));
    expect(incident.actions[0]?.subject).toBeUndefined();
    expect(() => planRelease(incident)).toThrow(UndoFactsError);
  });

  it("refuse an action kind no version ever wrote", () => {
    expect(() => incidentFromItem(legacyItem([{ ...legacyActions[1], kind: "delete-user" }]))).toThrow(
      /kind/,
    );
  });

  it("upgrade a current record to itself", () => {
    const current = ActionRecordSchema.parse(upgradeLegacyAction(legacyActions[0]));
    expect(ActionRecordSchema.parse(upgradeLegacyAction(current))).toEqual(current);
  });

  it("read the session-deny policy's attach and a take-over of it as typed facts, through the DynamoDB edge", () => {
    const sessionDeny = "arn:aws:iam::123456789012:policy/LeakedKeyResponder-SessionDeny";
    const incident = incidentFromItem(
      legacyItem([
        {
          kind: "attach-session-deny-policy",
          target: "user alice",
          subject: { type: "user", name: "alice" },
          at: AT,
          outcome: "done",
          signalId: "s1",
          undo: { policyArn: sessionDeny },
        },
        {
          kind: "take-over-quarantine-policy",
          target: "user alice",
          subject: { type: "user", name: "alice" },
          at: AT,
          outcome: "done",
          signalId: "lkr:release:x",
          undo: { policyArn: sessionDeny, policy: "session-deny" },
        },
      ]),
    );
    expect(planRelease(incident).steps).toEqual([
      { kind: "detach-session-deny-policy", target: { type: "user", name: "alice" }, policyArn: sessionDeny },
    ]);
    expect(() =>
      incidentFromItem(
        legacyItem([{ ...legacyActions[1], kind: "take-over-quarantine-policy", undo: { policy: "admin" } }]),
      ),
    ).toThrow(/policy/);
  });

  it("refuse a severity, mode or status outside the vocabulary", () => {
    expect(() => incidentFromItem({ ...legacyItem([]), severity: "urgent" })).toThrow(/severity/);
    expect(() => incidentFromItem({ ...legacyItem([]), mode: "aggressive" })).toThrow(/mode/);
    expect(() => incidentFromItem({ ...legacyItem([]), status: "open" })).toThrow(/status/);
    expect(incidentFromItem(legacyItem([])).severity).toBe("high");
  });
});
