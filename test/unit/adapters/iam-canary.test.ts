import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { DRILL_IAM_ACTIONS, IamCanary } from "../../../lambdas/adapters/iam-canary.js";
import { AwsCallError, NoSuchEntityError } from "../../../lambdas/core/errors.js";
import { callsOf } from "../../support/sdk-calls.js";

const iam = mockClient(IAMClient);
const canary = new IamCanary(new IAMClient({ region: "us-east-1" }));
const USER = "lkr-drill-1";
const KEY = "AKIAIOSFODNN7EXAMPLE";
const sentOperations = new Set<string>();

function sent(): { name: string; input: unknown }[] {
  return callsOf(iam, sentOperations);
}

const gone = () => new NoSuchEntityException({ message: "not found", $metadata: { httpStatusCode: 404 } });
const denied = () =>
  Object.assign(new Error("no"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });

beforeEach(() => iam.reset());

afterAll(() => {
  // Every IAM call the canary made is in the list the drill's policy is built from.
  const listed = new Set<string>(DRILL_IAM_ACTIONS);
  expect([...sentOperations].filter((op) => !listed.has(op))).toEqual([]);
  // ... and every one is used: iam:TagUser is what CreateUser with tags needs, never sent alone.
  expect([...listed].filter((op) => !sentOperations.has(op))).toEqual(["iam:TagUser"]);
});

describe("IamCanary", () => {
  it("creates a tagged user under the drill path with one access key, and returns the key id", async () => {
    iam.on(CreateUserCommand).resolves({});
    iam.on(CreateAccessKeyCommand).resolves({
      AccessKey: { AccessKeyId: KEY, SecretAccessKey: "s", UserName: USER, Status: "Active" },
    });
    expect(await canary.create(USER, "/leaked-key-responder/drill/", { drill: "true" })).toBe(KEY);
    expect(sent()).toEqual([
      {
        name: "CreateUser",
        input: {
          UserName: USER,
          Path: "/leaked-key-responder/drill/",
          Tags: [{ Key: "drill", Value: "true" }],
        },
      },
      { name: "CreateAccessKey", input: { UserName: USER } },
    ]);
  });

  it("fails when IAM creates no access key", async () => {
    iam.on(CreateUserCommand).resolves({});
    iam.on(CreateAccessKeyCommand).resolves({});
    await expect(canary.create(USER, "/p/", {})).rejects.toThrow(/returned no key for lkr-drill-1/);
  });

  it("reads the key's status, and reports a key the user does not have as absent", async () => {
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [{ AccessKeyId: KEY, Status: "Inactive", UserName: USER }],
    });
    expect(await canary.keyStatus(USER, KEY)).toBe("Inactive");
    expect(await canary.keyStatus(USER, "AKIAZZZZZZZZZZZZZZZZ")).toBe("absent");
    expect(sent()).toEqual([
      { name: "ListAccessKeys", input: { UserName: USER } },
      { name: "ListAccessKeys", input: { UserName: USER } },
    ]);
  });

  it("removes keys, inline and attached policies and tags, then the user, and says what it removed", async () => {
    iam.onAnyCommand().resolves({});
    iam.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [{ AccessKeyId: KEY, Status: "Inactive", UserName: USER }],
    });
    iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: ["deny-older"] });
    iam.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: "arn:q" }] });
    iam.on(ListUserTagsCommand).resolves({
      Tags: [
        { Key: "drill", Value: "true" },
        { Key: "q", Value: "i" },
      ],
    });
    expect(await canary.remove(USER)).toEqual([
      `access key ${KEY}`,
      "inline policy deny-older",
      "attached policy arn:q",
      "tags drill, q",
      `user ${USER}`,
    ]);
    expect(sent()).toEqual([
      { name: "ListAccessKeys", input: { UserName: USER } },
      { name: "DeleteAccessKey", input: { UserName: USER, AccessKeyId: KEY } },
      { name: "ListUserPolicies", input: { UserName: USER } },
      { name: "DeleteUserPolicy", input: { UserName: USER, PolicyName: "deny-older" } },
      { name: "ListAttachedUserPolicies", input: { UserName: USER } },
      { name: "DetachUserPolicy", input: { UserName: USER, PolicyArn: "arn:q" } },
      { name: "ListUserTags", input: { UserName: USER } },
      { name: "UntagUser", input: { UserName: USER, TagKeys: ["drill", "q"] } },
      { name: "DeleteUser", input: { UserName: USER } },
    ]);
  });

  it("removes a bare user with nothing on it by deleting only the user", async () => {
    iam.onAnyCommand().resolves({});
    expect(await canary.remove(USER)).toEqual([`user ${USER}`]);
    expect(sent().map((c) => c.name)).toEqual([
      "ListAccessKeys",
      "ListUserPolicies",
      "ListAttachedUserPolicies",
      "ListUserTags",
      "DeleteUser",
    ]);
  });

  it("treats a user already gone as removed, sending nothing more", async () => {
    iam.on(ListAccessKeysCommand).rejects(gone());
    expect(await canary.remove(USER)).toEqual([]);
    expect(sent().map((c) => c.name)).toEqual(["ListAccessKeys"]);
  });

  it("fails on any other error while removing, as its typed error", async () => {
    iam.onAnyCommand().resolves({});
    iam.on(ListUserPoliciesCommand).rejects(denied());
    await expect(canary.remove(USER)).rejects.toThrow(AwsCallError);
    iam.reset();
    iam.on(ListAccessKeysCommand).rejects(denied());
    await expect(canary.remove(USER)).rejects.toThrow(AwsCallError);
    await expect(canary.remove(USER)).rejects.not.toThrow(NoSuchEntityError);
  });
});
