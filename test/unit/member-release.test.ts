import { describe, expect, it } from "vitest";
import { withMemberRevoker } from "../../cli/member-release.js";
import type { RoleSessionLift, RoleSessionRevocation } from "../../lambdas/core/ports.js";
import type { IamReleasePort } from "../../lambdas/core/release/ports.js";

const KEY = "ASIAIOSFODNN7EXAMPLE";
const MEMBER = "210987654321";

function setUp() {
  const calls: string[] = [];
  const note = (what: string) => async () => {
    calls.push(what);
  };
  const iam: IamReleasePort = {
    reactivateKey: note("reactivate"),
    detachPolicy: async () => {
      calls.push("detach");
      return "detached";
    },
    deleteInlinePolicy: async (target) => {
      calls.push(`member role deletes on ${target.type}`);
      return "deleted";
    },
    untagPrincipal: note("untag"),
    principalTagKeys: async () => [],
    restore: {
      disableKey: note("disable"),
      attachPolicy: async () => {
        calls.push("attach");
        return "attached";
      },
      tagPrincipal: note("tag"),
      putRevokePolicy: async (target) => {
        calls.push(`member role puts on ${target.type}`);
      },
    },
  };
  const asked: unknown[] = [];
  const released = withMemberRevoker(iam, MEMBER, async (accountId) => ({
    revoke: async (r: RoleSessionRevocation) => {
      asked.push({ revoke: r, accountId });
      return { policyName: `leaked-key-responder-revoke-${r.accessKeyId}` };
    },
    lift: async (r: RoleSessionLift) => {
      asked.push({ lift: r, accountId });
      return "deleted" as const;
    },
  }));
  return { released, calls, asked };
}

describe("a release in a member account", () => {
  it("asks the revoker, told the account, to lift a role's revoke policy, and never the member role", async () => {
    const { released, calls, asked } = setUp();
    const role = { type: "role", name: "web" } as const;
    expect(await released.deleteInlinePolicy(role, `leaked-key-responder-revoke-${KEY}`)).toBe("deleted");
    await released.restore.putRevokePolicy(
      role,
      `leaked-key-responder-revoke-${KEY}`,
      "2026-11-28T12:00:00.000Z",
    );
    expect(asked).toEqual([
      { lift: { roleName: "web", accessKeyId: KEY, accountId: MEMBER }, accountId: MEMBER },
      {
        revoke: { roleName: "web", accessKeyId: KEY, issuedBefore: "2026-11-28T12:00:00.000Z" },
        accountId: MEMBER,
      },
    ]);
    expect(calls).toEqual([]);
  });

  it("refuses an inline policy that is not a revoke policy, asking no one", async () => {
    const { released, calls, asked } = setUp();
    await expect(
      released.deleteInlinePolicy({ type: "role", name: "web" }, "app-policy"),
    ).rejects.toMatchObject({
      code: "NotARevokePolicy",
    });
    expect([calls, asked]).toEqual([[], []]);
  });

  it("leaves everything else to the member role", async () => {
    const { released, calls, asked } = setUp();
    await released.reactivateKey("bob", "AKIAIOSFODNN7EXAMPLE");
    await released.detachPolicy(
      { type: "user", name: "bob" },
      "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4",
    );
    await released.untagPrincipal({ type: "user", name: "bob" }, ["leaked-key-responder:quarantine:x"]);
    await released.deleteInlinePolicy({ type: "user", name: "bob" }, `leaked-key-responder-revoke-${KEY}`);
    expect(calls).toEqual(["reactivate", "detach", "untag", "member role deletes on user"]);
    expect(asked).toEqual([]);
  });
});
