import { describe, expect, it } from "vitest";
import {
  drillRestoreSteps,
  MEMBER_DRILL_USER_NAME,
  MemberDrillUserError,
  memberDrillKeyOf,
} from "../../lambdas/core/member-drill.js";
import type { ReleasePlan, UndoStep } from "../../lambdas/core/release/plan.js";
import { DEFAULT_GUARDDUTY_POLICY } from "../../lambdas/core/sources/guardduty.js";
import { normalizeEvent } from "../../lambdas/core/sources/registry.js";
import { drillEvent } from "../../local/events.js";

const CENTRAL = "123456789012";
const MEMBER = "210987654321";
const KEY = "AKIAIOSFODNN7EXAMPLE";
const options = { guardDutyPolicy: DEFAULT_GUARDDUTY_POLICY };

/** A drill event as `lkr drill` puts it from the central account, with the detail's fields given. */
function drill(detail: Record<string, unknown>): Record<string, unknown> {
  const event = drillEvent({ key: KEY, user: MEMBER_DRILL_USER_NAME, drillId: "d1", account: CENTRAL }) as {
    detail: Record<string, unknown>;
  };
  return { ...event, detail: { ...event.detail, ...detail } };
}

function accountsOf(event: unknown): string[] {
  const result = normalizeEvent(event, options);
  return result.kind === "exposures" ? result.exposures.map((e) => e.accountId) : [];
}

describe("a drill event names the account of its drill user", () => {
  it("a member drill (sent from the central account) is about the account its detail names", () => {
    expect(accountsOf(drill({ accountId: MEMBER }))).toEqual([MEMBER]);
  });

  it("a home drill names none: the envelope's account (the sender's)", () => {
    expect(accountsOf(drill({}))).toEqual([CENTRAL]);
  });

  it.each([
    ["eleven digits", "21098765432"],
    ["an ARN", `arn:aws:iam::${MEMBER}:root`],
    ["a number", 210987654321],
  ])(
    "an accountId that is not 12 digits (%s) is a malformed event, never the envelope's account",
    (_n, value) => {
      expect(() => normalizeEvent(drill({ accountId: value }), options)).toThrow(
        expect.objectContaining({ name: "InvalidEventError", issues: ["accountId: Invalid input"] }),
      );
    },
  );
});

describe("the member stack's drill user's key", () => {
  it("is its one key", () => {
    expect(memberDrillKeyOf(MEMBER, [{ accessKeyId: KEY, status: "Inactive" }])).toEqual({
      accessKeyId: KEY,
      status: "Inactive",
    });
  });

  it.each([
    [
      "no user",
      undefined,
      /account 210987654321: no user leaked-key-responder-drill; the member stack provisions/,
    ],
    ["no key", [], /user leaked-key-responder-drill has no key/],
    [
      "two keys (not the stack's user)",
      [
        { accessKeyId: KEY, status: "Inactive" },
        { accessKeyId: "AKIAI44QH8DHBEXAMPLE", status: "Active" },
      ],
      /has 2 keys, not one/,
    ],
  ])("is refused when the user has %s", (_n, keys, message) => {
    expect(() => memberDrillKeyOf(MEMBER, keys)).toThrow(MemberDrillUserError);
    expect(() => memberDrillKeyOf(MEMBER, keys)).toThrow(message);
  });
});

describe("what a passed member drill takes off the drill user", () => {
  const user = { type: "user", name: MEMBER_DRILL_USER_NAME } as const;
  const quarantine = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
  const sessionDeny = `arn:aws:iam::${MEMBER}:policy/LkrMember-SessionDeny`;
  const plan = (steps: UndoStep[]): ReleasePlan => ({ incidentId: `${MEMBER}-${KEY}`, steps, kept: [] });
  const fence: UndoStep[] = [
    { kind: "detach-quarantine-policy", target: user, policyArn: quarantine },
    { kind: "detach-session-deny-policy", target: user, policyArn: sessionDeny },
    { kind: "untag-principal", target: user, tagKeys: [`leaked-key-responder:quarantine:${KEY}`] },
  ];

  it("is the release plan without the key's reactivation: the key stays Inactive", () => {
    const release = plan([
      { kind: "reactivate-key", accessKeyId: KEY, userName: MEMBER_DRILL_USER_NAME },
      ...fence,
    ]);
    expect(drillRestoreSteps(MEMBER, release)).toEqual(fence);
  });

  it("refuses a plan that touches anyone but the drill user", () => {
    const other: UndoStep = {
      kind: "detach-quarantine-policy",
      target: { type: "user", name: "bob" },
      policyArn: quarantine,
    };
    expect(() => drillRestoreSteps(MEMBER, plan([...fence, other]))).toThrow(
      /holds detach-quarantine-policy on user bob, not on the drill user/,
    );
  });
});
