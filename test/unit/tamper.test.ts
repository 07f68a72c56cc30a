import { describe, expect, it } from "vitest";
import { AwsCallError, NoSuchEntityError, TransientAwsError } from "../../lambdas/core/errors.js";
import { MemberAccountUnreachableError, NoMemberRoleError } from "../../lambdas/core/organization.js";
import type { AlertPublisher, IamPort, RenderedAlert } from "../../lambdas/core/ports.js";
import { exposuresOfDetached } from "../../lambdas/core/respond/tamper.js";
import type { PolicyDetached } from "../../lambdas/core/sources/iam-watch.js";

const detached: PolicyDetached = {
  kind: "policy-detached",
  accountId: "123456789012",
  region: "us-east-1",
  target: { type: "user", name: "alice" },
  policyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3",
  signal: "DetachUserPolicy",
  eventId: "e1",
  sourceEventId: "env-1",
  observedAt: "2026-11-28T12:00:00.000Z",
  evidence: { actor: "arn:aws:iam::123456789012:user/mallory" },
};
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sent: RenderedAlert[] = [];
const alerts: AlertPublisher = {
  publish: async (alert) => {
    sent.push(alert);
  },
};

function iamWith(
  principalTags: IamPort["principalTags"],
  keyStatus: "Active" | "Inactive" | "absent" = "Inactive",
): IamPort {
  const unused = () => Promise.reject(new Error("not used"));
  return {
    findKeyOwner: unused,
    // Whether the user holds the key (a user fenced for another user's key does not).
    describeUser: async () => ({ tags: {}, keyStatus }),
    describeRole: unused,
    listUserKeys: unused,
    disableKey: unused,
    attachPolicy: unused,
    tagPrincipal: unused,
    principalTags,
  };
}

describe("exposuresOfDetached", () => {
  it("puts back the fence of a user fenced for another user's key (one the leaked key made): a fence, never a lookup of the key's owner", async () => {
    const iam = iamWith(
      async () => ({ "leaked-key-responder:quarantine:AKIAIOSFODNN7EXAMPLE": "x" }),
      "absent",
    );
    const exposures = await exposuresOfDetached(detached, async () => iam, log, alerts);
    expect(exposures).toEqual([
      expect.objectContaining({
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        intent: "fence-principal",
        principal: { type: "user", name: "alice" },
      }),
    ]);
  });

  it("reads the principal's tags in the key's account: one re-containment per quarantined key", async () => {
    const accounts: string[] = [];
    const iam = iamWith(async (target) => {
      expect(target).toEqual({ type: "user", name: "alice" });
      return { "leaked-key-responder:quarantine:AKIAIOSFODNN7EXAMPLE": "x", team: "a" };
    });
    const exposures = await exposuresOfDetached(
      detached,
      async (account) => {
        accounts.push(account);
        return iam;
      },
      log,
      alerts,
    );
    expect(accounts).toEqual(["123456789012"]);
    expect(exposures).toEqual([
      expect.objectContaining({
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        intent: "recontain-if-open",
        signalId: "cloudtrail:e1:AKIAIOSFODNN7EXAMPLE",
        principal: { type: "user", name: "alice" },
        severity: "high",
      }),
    ]);
  });

  it("finds nothing to contain on a principal that is gone or carries no quarantine tag", async () => {
    const gone = iamWith(() =>
      Promise.reject(new NoSuchEntityError("iam:ListUserTags", { cause: new Error() })),
    );
    expect(await exposuresOfDetached(detached, async () => gone, log, alerts)).toEqual([]);
    expect(await exposuresOfDetached(detached, async () => iamWith(async () => ({})), log, alerts)).toEqual(
      [],
    );
  });

  it.each([
    [
      "a passing fault (the event is retried)",
      new TransientAwsError("iam:ListUserTags", { cause: new Error() }),
    ],
    [
      "a denial (the event fails, the alarm fires)",
      new AwsCallError("iam:ListUserTags", "AccessDenied", { cause: new Error() }),
    ],
  ])("throws on %s", async (_what, error) => {
    await expect(
      exposuresOfDetached(detached, async () => iamWith(() => Promise.reject(error)), log, alerts),
    ).rejects.toBe(error);
  });

  const member: PolicyDetached = {
    ...detached,
    accountId: "210987654321",
    policyArn: "arn:aws:iam::210987654321:policy/LkrMember-SessionDeny",
  };

  it.each([
    [
      "outside the Organization (its member role cannot be assumed)",
      new MemberAccountUnreachableError("210987654321", "LkrMember", { cause: new Error("AccessDenied") }),
    ],
    ["of a responder with no member role", new NoMemberRoleError("210987654321", "123456789012")],
  ])("only alerts a detach in an account %s: no key, nothing changed", async (_what, error) => {
    sent.length = 0;
    const exposures = await exposuresOfDetached(member, () => Promise.reject(error), log, alerts);
    expect(exposures).toEqual([]);
    expect(sent.map((a) => a.subject)).toEqual([
      "[HIGH] Fence policy detached from user alice, not re-contained - account 210987654321",
    ]);
    expect(sent[0]?.text).toContain("Nothing was changed by the responder.");
    expect(JSON.parse(sent[0]?.machine ?? "{}")).toMatchObject({
      type: "leaked-key-responder.fence-detached",
      accountId: "210987654321",
      policyArn: member.policyArn,
      principal: { type: "user", name: "alice" },
    });
  });

  it("sends no alert for a detach it re-contains", async () => {
    sent.length = 0;
    const iam = iamWith(async () => ({ "leaked-key-responder:quarantine:AKIAIOSFODNN7EXAMPLE": "x" }));
    expect(await exposuresOfDetached(member, async () => iam, log, alerts)).toHaveLength(1);
    expect(sent).toEqual([]);
  });
});
