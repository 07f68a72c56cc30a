import {
  AttachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  TagRoleCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { IamAdapter } from "../../../lambdas/adapters/iam.js";
import { AwsCallError, NoSuchEntityError, TransientAwsError } from "../../../lambdas/core/errors.js";
import { IAM_PERMISSIONS } from "../../../lambdas/core/permissions.js";
import { callsOf } from "../../support/sdk-calls.js";

const iam = mockClient(IAMClient);
const adapter = new IamAdapter(new IAMClient({ region: "us-east-1" }));
const KEY = "AKIAIOSFODNN7EXAMPLE";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";
const sentOperations = new Set<string>();

function sent(): { name: string; input: unknown }[] {
  return callsOf(iam, sentOperations);
}

beforeEach(() => iam.reset());

afterAll(() => {
  // Every IAM call an adapter made in this file is granted by the permissions map.
  const granted = new Set(Object.values(IAM_PERMISSIONS).flatMap((g) => [...g.user, ...g.role]));
  expect([...sentOperations].filter((op) => !granted.has(op))).toEqual([]);
  expect(sentOperations.size).toBeGreaterThanOrEqual(11);
});

describe("IamAdapter", () => {
  it("disables exactly one key of one user and nothing else", async () => {
    iam.on(UpdateAccessKeyCommand).resolves({});
    await adapter.disableKey("alice", KEY);
    expect(sent()).toEqual([
      { name: "UpdateAccessKey", input: { UserName: "alice", AccessKeyId: KEY, Status: "Inactive" } },
    ]);
  });

  it("finds a key's owner, and reports an unknown key as undefined", async () => {
    iam.on(GetAccessKeyLastUsedCommand, { AccessKeyId: KEY }).resolves({ UserName: "alice" });
    iam
      .on(GetAccessKeyLastUsedCommand, { AccessKeyId: "AKIAZZZZZZZZZZZZZZZZ" })
      .rejects(new NoSuchEntityException({ message: "not found", $metadata: { httpStatusCode: 404 } }));
    expect(await adapter.findKeyOwner(KEY)).toBe("alice");
    expect(await adapter.findKeyOwner("AKIAZZZZZZZZZZZZZZZZ")).toBeUndefined();
    sent();
  });

  it("lists every key of a user with its status (AWS's quarantine that names no key), and a missing user as NoSuchEntityError", async () => {
    iam.on(ListAccessKeysCommand, { UserName: "alice" }).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: KEY, Status: "Active", UserName: "alice" },
        { AccessKeyId: "AKIAOTHERKEY00000000", Status: "Inactive", UserName: "alice" },
      ],
    });
    iam
      .on(ListAccessKeysCommand, { UserName: "gone" })
      .rejects(new NoSuchEntityException({ message: "not found", $metadata: { httpStatusCode: 404 } }));
    expect(await adapter.listUserKeys("alice")).toEqual([
      { accessKeyId: KEY, status: "Active" },
      { accessKeyId: "AKIAOTHERKEY00000000", status: "Inactive" },
    ]);
    await expect(adapter.listUserKeys("gone")).rejects.toBeInstanceOf(NoSuchEntityError);
    expect(sent()).toEqual([
      { name: "ListAccessKeys", input: { UserName: "alice" } },
      { name: "ListAccessKeys", input: { UserName: "gone" } },
    ]);
  });

  it("reads a user's tags and the named key's status in parallel", async () => {
    iam.on(ListUserTagsCommand).resolves({ Tags: [{ Key: "leaked-key-responder:exempt", Value: "true" }] });
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { AccessKeyId: "AKIAOTHERKEY00000000", Status: "Active", UserName: "alice" },
        { AccessKeyId: KEY, Status: "Inactive", UserName: "alice" },
      ],
    });
    expect(await adapter.describeUser("alice", KEY)).toEqual({
      tags: { "leaked-key-responder:exempt": "true" },
      keyStatus: "Inactive",
    });
    expect(await adapter.describeUser("alice", "AKIAZZZZZZZZZZZZZZZZ")).toMatchObject({
      keyStatus: "absent",
    });
    expect(
      sent()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["ListAccessKeys", "ListAccessKeys", "ListUserTags", "ListUserTags"]);
  });

  it("sends the key's status read at once and the tags read only once `tagsAfter` resolves", async () => {
    iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: "Active" }] });
    let open = (): void => undefined;
    const tagsAfter = new Promise<void>((resolve) => {
      open = resolve;
    });
    const described = adapter.describeUser("alice", KEY, tagsAfter);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent().map((c) => c.name)).toEqual(["ListAccessKeys"]);
    open();
    expect(await described).toEqual({ tags: {}, keyStatus: "Active" });
    expect(sent().map((c) => c.name)).toEqual(["ListAccessKeys", "ListUserTags"]);
  });

  it("attaches the quarantine policy once, following pagination to see if it is there already", async () => {
    iam
      .on(ListAttachedUserPoliciesCommand)
      .resolvesOnce({
        AttachedPolicies: [{ PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
        IsTruncated: true,
        Marker: "m1",
      })
      .resolvesOnce({ AttachedPolicies: [], IsTruncated: false });
    iam.on(AttachUserPolicyCommand).resolves({});
    expect(await adapter.attachPolicy({ type: "user", name: "alice" }, QUARANTINE)).toBe("attached");
    expect(sent()).toEqual([
      { name: "ListAttachedUserPolicies", input: { UserName: "alice", Marker: undefined } },
      { name: "ListAttachedUserPolicies", input: { UserName: "alice", Marker: "m1" } },
      { name: "AttachUserPolicy", input: { UserName: "alice", PolicyArn: QUARANTINE } },
    ]);
    iam.reset();
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: QUARANTINE }] });
    expect(await adapter.attachPolicy({ type: "role", name: "web" }, QUARANTINE)).toBe("already");
    expect(sent().map((c) => c.name)).toEqual(["ListAttachedRolePolicies"]);
  });

  it("tags a role and reads its tags", async () => {
    iam.on(TagRoleCommand).resolves({});
    iam.on(ListRoleTagsCommand).resolves({ Tags: [{ Key: "a", Value: "b" }] });
    await adapter.tagPrincipal({ type: "role", name: "web" }, { k: "v" });
    await adapter.describeRole("web");
    expect(await adapter.principalTags({ type: "role", name: "web" })).toEqual({ a: "b" });
    expect(sent()).toEqual([
      { name: "TagRole", input: { RoleName: "web", Tags: [{ Key: "k", Value: "v" }] } },
      { name: "ListRoleTags", input: { RoleName: "web" } },
      { name: "ListRoleTags", input: { RoleName: "web" } },
    ]);
  });

  it("covers the user variants of the fence calls, and writes no inline policy anywhere", async () => {
    iam.onAnyCommand().resolves({});
    await adapter.tagPrincipal({ type: "user", name: "alice" }, { k: "v" });
    await adapter.attachPolicy({ type: "role", name: "web" }, QUARANTINE);
    await adapter.principalTags({ type: "user", name: "alice" });
    expect(sent().map((c) => c.name)).toEqual([
      "TagUser",
      "ListAttachedRolePolicies",
      "AttachRolePolicy",
      "ListUserTags",
    ]);
  });

  it.each([
    [
      "NoSuchEntity",
      new NoSuchEntityException({ message: "gone", $metadata: { httpStatusCode: 404 } }),
      NoSuchEntityError,
    ],
    [
      "throttling",
      Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }),
      TransientAwsError,
    ],
    [
      "a 5xx",
      Object.assign(new Error("boom"), { name: "ServiceFailure", $metadata: { httpStatusCode: 500 } }),
      TransientAwsError,
    ],
    [
      "no answer at all",
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      TransientAwsError,
    ],
    [
      "access denied",
      Object.assign(new Error("no"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }),
      AwsCallError,
    ],
  ])("maps %s to its typed error, keeping the cause", async (_name, error, type) => {
    iam.on(UpdateAccessKeyCommand).rejects(error);
    const failure = await adapter.disableKey("alice", KEY).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(type);
    expect((failure as Error).cause).toBe(error);
    sent();
  });
});
