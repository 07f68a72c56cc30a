import type { IAMClient } from "@aws-sdk/client-iam";
import {
  type DrillUserKey,
  MEMBER_DRILL_USER_NAME,
  MemberDrillUserError,
  memberDrillKeyOf,
} from "../core/member-drill.js";
import type { UndoStep } from "../core/release/plan.js";
import { unlessGone } from "./aws-errors.js";
import {
  type AccessKeyStatus,
  accessKeyStatus,
  listAccessKeys,
  setAccessKeyStatus,
} from "./iam-access-keys.js";
import { IamReleaseAdapter } from "./iam-release.js";

/**
 * IAM actions the member drill sends through the member role, all on the drill user: every one is
 * already the member role's (release and audit hold them); the drill adds no grant.
 */
export const MEMBER_DRILL_IAM_ACTIONS = [
  "iam:ListAccessKeys",
  "iam:UpdateAccessKey",
  "iam:ListAttachedUserPolicies",
  "iam:DetachUserPolicy",
  "iam:UntagUser",
] as const;

/**
 * The member stack's drill user, through the member role: its one key read and switched between
 * Active and Inactive, and the responder's fence taken off after a drill. It never creates or
 * deletes anything (the member role may not).
 */
export class IamMemberDrillUser {
  readonly userName = MEMBER_DRILL_USER_NAME;

  constructor(
    private readonly client: IAMClient,
    private readonly accountId: string,
  ) {}

  /** The drill user's one key; MemberDrillUserError when the user is missing or holds not exactly one. */
  async key(): Promise<DrillUserKey> {
    const keys = await unlessGone(() => listAccessKeys(this.client, this.userName), undefined);
    return memberDrillKeyOf(
      this.accountId,
      keys?.map((k) => ({ accessKeyId: k.AccessKeyId ?? "", status: k.Status ?? "" })),
    );
  }

  async keyStatus(accessKeyId: string): Promise<AccessKeyStatus> {
    return accessKeyStatus(this.client, this.userName, accessKeyId);
  }

  async setKeyStatus(accessKeyId: string, status: "Active" | "Inactive"): Promise<void> {
    await setAccessKeyStatus(this.client, this.userName, accessKeyId, status);
  }

  /** Gives back the drill's fence (the release plan's detach and untag steps); returns what it removed. */
  async restore(steps: readonly UndoStep[]): Promise<string[]> {
    const release = new IamReleaseAdapter(this.client);
    const removed: string[] = [];
    for (const step of steps) {
      switch (step.kind) {
        case "detach-quarantine-policy":
        case "detach-session-deny-policy":
          if ((await release.detachPolicy(step.target, step.policyArn)) === "detached") {
            removed.push(`attached policy ${step.policyArn}`);
          }
          break;
        case "untag-principal":
          await release.untagPrincipal(step.target, step.tagKeys);
          removed.push(`tags ${step.tagKeys.join(", ")}`);
          break;
        case "reactivate-key":
        case "delete-revoke-policy":
          // Never part of a drill's restore: the key stays Inactive; a user gets no revoke policy.
          throw new MemberDrillUserError(this.accountId, `a drill does not restore ${step.kind}`);
      }
    }
    return removed;
  }
}
