import {
  DetachUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  NoSuchEntityException,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { memberRoleActions } from "../../../infra/member-template.js";
import { IamMemberDrillUser, MEMBER_DRILL_IAM_ACTIONS } from "../../../lambdas/adapters/iam-member-drill.js";
import { MEMBER_DRILL_USER_NAME, MemberDrillUserError } from "../../../lambdas/core/member-drill.js";
import { callsOf } from "../../support/sdk-calls.js";

const iam = mockClient(IAMClient);
const MEMBER = "210987654321";
const KEY = "AKIAIOSFODNN7EXAMPLE";
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV4";
const user = new IamMemberDrillUser(new IAMClient({ region: "us-east-1" }), MEMBER);
const drillUser = { type: "user", name: MEMBER_DRILL_USER_NAME } as const;
const sentOperations = new Set<string>();
const sent = () => callsOf(iam, sentOperations);

beforeEach(() => iam.reset());

afterAll(() => {
  // Every call the member drill made is listed, and the member role already holds every one listed.
  const listed = new Set<string>(MEMBER_DRILL_IAM_ACTIONS);
  expect([...sentOperations].filter((op) => !listed.has(op))).toEqual([]);
  expect([...listed].filter((op) => !sentOperations.has(op))).toEqual([]);
  expect(MEMBER_DRILL_IAM_ACTIONS.filter((a) => !memberRoleActions().includes(a))).toEqual([]);
});

describe("IamMemberDrillUser", () => {
  it("reads the drill user's one key", async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: "Inactive" }] });
    expect(await user.key()).toEqual({ accessKeyId: KEY, status: "Inactive" });
    expect(sent()).toEqual([{ name: "ListAccessKeys", input: { UserName: MEMBER_DRILL_USER_NAME } }]);
  });

  it("names the member stack when the drill user does not exist", async () => {
    iam
      .on(ListAccessKeysCommand)
      .rejects(new NoSuchEntityException({ message: "no user", $metadata: { httpStatusCode: 404 } }));
    await expect(user.key()).rejects.toThrow(MemberDrillUserError);
    await expect(user.key()).rejects.toThrow(/account 210987654321: no user leaked-key-responder-drill/);
  });

  it("switches that key, and only that key of that user", async () => {
    iam.on(UpdateAccessKeyCommand).resolves({});
    await user.setKeyStatus(KEY, "Active");
    await user.setKeyStatus(KEY, "Inactive");
    expect(sent()).toEqual([
      {
        name: "UpdateAccessKey",
        input: { UserName: MEMBER_DRILL_USER_NAME, AccessKeyId: KEY, Status: "Active" },
      },
      {
        name: "UpdateAccessKey",
        input: { UserName: MEMBER_DRILL_USER_NAME, AccessKeyId: KEY, Status: "Inactive" },
      },
    ]);
  });

  it("takes the fence off: detaches what is attached, removes the quarantine mark; reports what it removed", async () => {
    iam.on(ListAttachedUserPoliciesCommand).resolves({
      AttachedPolicies: [{ PolicyArn: QUARANTINE, PolicyName: "AWSCompromisedKeyQuarantineV4" }],
    });
    iam.on(DetachUserPolicyCommand).resolves({});
    iam.on(UntagUserCommand).resolves({});
    const sessionDeny = `arn:aws:iam::${MEMBER}:policy/LkrMember-SessionDeny`;
    const tag = `leaked-key-responder:quarantine:${KEY}`;

    const removed = await user.restore([
      { kind: "detach-quarantine-policy", target: drillUser, policyArn: QUARANTINE },
      { kind: "detach-session-deny-policy", target: drillUser, policyArn: sessionDeny },
      { kind: "untag-principal", target: drillUser, tagKeys: [tag] },
    ]);

    expect(removed).toEqual([`attached policy ${QUARANTINE}`, `tags ${tag}`]);
    expect(sent().filter((c) => c.name !== "ListAttachedUserPolicies")).toEqual([
      { name: "DetachUserPolicy", input: { UserName: MEMBER_DRILL_USER_NAME, PolicyArn: QUARANTINE } },
      { name: "UntagUser", input: { UserName: MEMBER_DRILL_USER_NAME, TagKeys: [tag] } },
    ]);
  });

  it("never reactivates the key as part of a restore", async () => {
    await expect(
      user.restore([{ kind: "reactivate-key", accessKeyId: KEY, userName: MEMBER_DRILL_USER_NAME }]),
    ).rejects.toThrow(/a drill does not restore reactivate-key/);
    expect(sent()).toEqual([]);
  });
});
