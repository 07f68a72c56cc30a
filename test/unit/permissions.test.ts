import { describe, expect, it } from "vitest";
import { IAM_PERMISSIONS, type IamResource, iamActionsFor } from "../../lambdas/core/permissions.js";

const RESOURCES: readonly IamResource[] = ["user", "role"];

describe("IAM permissions table", () => {
  it("declares every action read or write, and only the actions it lists", () => {
    for (const grant of Object.values(IAM_PERMISSIONS)) {
      expect(Object.keys(grant.access).sort()).toEqual([...grant.user, ...grant.role].sort());
    }
  });

  it.each(Object.values(IAM_PERMISSIONS).flatMap((grant) => Object.entries(grant.access)))(
    "declares %s %s, as its IAM access level says (Get/List read, anything else writes)",
    (action, access) => {
      expect(access).toBe(/^iam:(Get|List)/.test(action) ? "read" : "write");
    },
  );

  it.each(RESOURCES)("splits the %s actions into reads and writes, together all of them", (resource) => {
    const reads = iamActionsFor(resource, "read");
    const writes = iamActionsFor(resource, "write");
    expect(reads.length).toBeGreaterThan(0);
    expect(writes.length).toBeGreaterThan(0);
    expect(reads.filter((a) => writes.includes(a))).toEqual([]);
    expect([...reads, ...writes].sort()).toEqual(iamActionsFor(resource));
  });

  it("lists the writes the respond role is denied on exempt principals and on its own roles", () => {
    expect(iamActionsFor("user", "write")).toEqual([
      "iam:AttachUserPolicy",
      "iam:TagUser",
      "iam:UpdateAccessKey",
    ]);
    expect(iamActionsFor("role", "write")).toEqual(["iam:AttachRolePolicy", "iam:TagRole"]);
  });

  it("grants the respond function no action that writes a policy's content: no grant power", () => {
    const all = [...iamActionsFor("user"), ...iamActionsFor("role")];
    for (const forbidden of [
      "iam:PutUserPolicy",
      "iam:PutRolePolicy",
      "iam:PutGroupPolicy",
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:AttachGroupPolicy",
    ]) {
      expect(all).not.toContain(forbidden);
    }
    expect(IAM_PERMISSIONS["revoke-sessions"]).toEqual({ user: [], role: [], access: {} });
  });

  it("narrows to the rows named, and a row without actions on a resource gives none", () => {
    expect(iamActionsFor("user", "write", ["attach-quarantine-policy"])).toEqual(["iam:AttachUserPolicy"]);
    expect(iamActionsFor("role", undefined, ["attach-quarantine-policy"])).toEqual([
      "iam:AttachRolePolicy",
      "iam:ListAttachedRolePolicies",
    ]);
    expect(iamActionsFor("role", undefined, ["disable-key", "notify"])).toEqual([]);
  });
});
