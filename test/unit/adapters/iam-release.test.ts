import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { IamReleaseAdapter, RELEASE_IAM_ACTIONS } from "../../../lambdas/adapters/iam-release.js";
import { NoSuchEntityError } from "../../../lambdas/core/errors.js";
import { callsOf } from "../../support/sdk-calls.js";

const iam = mockClient(IAMClient);
const adapter = new IamReleaseAdapter(new IAMClient({ region: "us-east-1" }));
const KEY = "AKIAIOSFODNN7EXAMPLE";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const sentOperations = new Set<string>();

function sent(): { name: string; input: unknown }[] {
  return callsOf(iam, sentOperations);
}

const gone = () => new NoSuchEntityException({ message: "not found", $metadata: { httpStatusCode: 404 } });

beforeEach(() => iam.reset());

afterAll(() => {
  // Every IAM call the adapter made is in the list an operator's policy is built from.
  const listed = new Set<string>([...RELEASE_IAM_ACTIONS.user, ...RELEASE_IAM_ACTIONS.role]);
  expect([...sentOperations].filter((op) => !listed.has(op))).toEqual([]);
});

describe("IamReleaseAdapter", () => {
  it("reactivates exactly one key of one user", async () => {
    iam.on(UpdateAccessKeyCommand).resolves({});
    await adapter.reactivateKey("alice", KEY);
    expect(sent()).toEqual([
      { name: "UpdateAccessKey", input: { UserName: "alice", AccessKeyId: KEY, Status: "Active" } },
    ]);
  });

  it("maps a deleted key to NoSuchEntityError", async () => {
    iam.on(UpdateAccessKeyCommand).rejects(gone());
    await expect(adapter.reactivateKey("alice", KEY)).rejects.toThrow(NoSuchEntityError);
  });

  it("detaches the policy only when it is attached, looking through every page", async () => {
    iam
      .on(ListAttachedUserPoliciesCommand, { UserName: "alice", Marker: undefined })
      .resolves({
        AttachedPolicies: [{ PolicyArn: "arn:aws:iam::aws:policy/Other" }],
        IsTruncated: true,
        Marker: "m",
      })
      .on(ListAttachedUserPoliciesCommand, { UserName: "alice", Marker: "m" })
      .resolves({ AttachedPolicies: [{ PolicyArn: QUARANTINE }], IsTruncated: false });
    iam.on(DetachUserPolicyCommand).resolves({});
    expect(await adapter.detachPolicy({ type: "user", name: "alice" }, QUARANTINE)).toBe("detached");
    expect(sent()).toEqual([
      { name: "ListAttachedUserPolicies", input: { UserName: "alice", Marker: undefined } },
      { name: "ListAttachedUserPolicies", input: { UserName: "alice", Marker: "m" } },
      { name: "DetachUserPolicy", input: { UserName: "alice", PolicyArn: QUARANTINE } },
    ]);
  });

  it("reports a policy no longer attached, also when someone detached it a moment before", async () => {
    iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
    expect(await adapter.detachPolicy({ type: "user", name: "alice" }, QUARANTINE)).toBe("not-attached");
    expect(sent().map((c) => c.name)).toEqual(["ListAttachedUserPolicies"]);

    iam.reset();
    iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: QUARANTINE }] });
    iam.on(DetachUserPolicyCommand).rejects(gone());
    expect(await adapter.detachPolicy({ type: "user", name: "alice" }, QUARANTINE)).toBe("not-attached");
  });

  it("raises NoSuchEntityError when the principal is gone", async () => {
    iam.on(ListAttachedUserPoliciesCommand).rejects(gone());
    await expect(adapter.detachPolicy({ type: "user", name: "alice" }, QUARANTINE)).rejects.toThrow(
      NoSuchEntityError,
    );
  });

  it("deletes the inline policy of a user or a role only when it exists", async () => {
    iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: ["p"] });
    iam.on(DeleteUserPolicyCommand).resolves({});
    expect(await adapter.deleteInlinePolicy({ type: "user", name: "alice" }, "p")).toBe("deleted");
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["other"] });
    expect(await adapter.deleteInlinePolicy({ type: "role", name: "web" }, "p")).toBe("absent");
    expect(sent()).toEqual([
      { name: "ListUserPolicies", input: { UserName: "alice", Marker: undefined } },
      { name: "DeleteUserPolicy", input: { UserName: "alice", PolicyName: "p" } },
      { name: "ListRolePolicies", input: { RoleName: "web", Marker: undefined } },
    ]);
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ["p"] });
    iam.on(DeleteRolePolicyCommand).resolves({});
    expect(await adapter.deleteInlinePolicy({ type: "role", name: "web" }, "p")).toBe("deleted");
    expect(sent().at(-1)).toEqual({ name: "DeleteRolePolicy", input: { RoleName: "web", PolicyName: "p" } });
  });

  it("removes exactly the tag keys it is given", async () => {
    iam.on(UntagUserCommand).resolves({});
    iam.on(UntagRoleCommand).resolves({});
    await adapter.untagPrincipal({ type: "user", name: "alice" }, ["a", "b"]);
    await adapter.untagPrincipal({ type: "role", name: "web" }, ["c"]);
    expect(sent()).toEqual([
      { name: "UntagUser", input: { UserName: "alice", TagKeys: ["a", "b"] } },
      { name: "UntagRole", input: { RoleName: "web", TagKeys: ["c"] } },
    ]);
  });

  it("lists every tag key of a user or a role, through every page", async () => {
    iam
      .on(ListUserTagsCommand, { UserName: "alice", Marker: undefined })
      .resolves({ Tags: [{ Key: "team", Value: "x" }], IsTruncated: true, Marker: "m" })
      .on(ListUserTagsCommand, { UserName: "alice", Marker: "m" })
      .resolves({
        Tags: [{ Key: `leaked-key-responder:quarantine:${KEY}`, Value: "i t" }],
        IsTruncated: false,
      });
    iam.on(ListRoleTagsCommand).resolves({ Tags: [] });
    expect(await adapter.principalTagKeys({ type: "user", name: "alice" })).toEqual([
      "team",
      `leaked-key-responder:quarantine:${KEY}`,
    ]);
    expect(await adapter.principalTagKeys({ type: "role", name: "web" })).toEqual([]);
    expect(sent()).toEqual([
      { name: "ListUserTags", input: { UserName: "alice", Marker: undefined } },
      { name: "ListUserTags", input: { UserName: "alice", Marker: "m" } },
      { name: "ListRoleTags", input: { RoleName: "web", Marker: undefined } },
    ]);
  });

  it("raises NoSuchEntityError when listing the tags of a principal that is gone", async () => {
    iam.on(ListUserTagsCommand).rejects(gone());
    await expect(adapter.principalTagKeys({ type: "user", name: "alice" })).rejects.toThrow(
      NoSuchEntityError,
    );
  });
});
