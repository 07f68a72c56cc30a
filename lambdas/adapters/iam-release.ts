import { type IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import type { FenceTarget } from "../core/plan.js";
import type { IamReleasePort } from "../core/release/ports.js";
import { denyOlderSessionsPolicy } from "../core/role-sessions.js";
import { call, unlessGone } from "./aws-errors.js";
import { IamAdapter } from "./iam.js";
import { setAccessKeyStatus } from "./iam-access-keys.js";
import {
  hasInlinePolicy,
  isPolicyAttached,
  onPrincipal,
  PRINCIPAL_OPERATIONS,
  tagKeysOf,
} from "./iam-principal.js";

/** IAM actions a release needs, by the resource type they act on (for the operator's policy). */
export const RELEASE_IAM_ACTIONS = {
  user: [
    "iam:UpdateAccessKey",
    "iam:ListAttachedUserPolicies",
    "iam:DetachUserPolicy",
    "iam:ListUserPolicies",
    "iam:DeleteUserPolicy",
    "iam:ListUserTags",
    "iam:UntagUser",
    // Putting containment back when a new signal contained the key while it was being released.
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:TagUser",
  ],
  role: [
    "iam:ListAttachedRolePolicies",
    "iam:DetachRolePolicy",
    "iam:ListRolePolicies",
    "iam:DeleteRolePolicy",
    "iam:ListRoleTags",
    "iam:UntagRole",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:TagRole",
  ],
} as const;

/**
 * Removes something only when a listing shows it is there. Whether it was: `false` when the
 * listing did not show it, and when it went away (NoSuchEntity) between the listing and the removal.
 */
async function removeIfPresent(present: () => Promise<boolean>, remove: () => Promise<unknown>) {
  if (!(await present())) return false;
  return unlessGone(async () => {
    await remove();
    return true;
  }, false);
}

/**
 * Gives back what the responder did to IAM. Each method is idempotent: a policy that is not
 * attached (any more) or an inline policy that is gone is reported, not an error; a principal or
 * key that no longer exists raises NoSuchEntityError.
 */
export class IamReleaseAdapter implements IamReleasePort {
  /** What a release puts back when a new signal contained the key meanwhile: the responder's own calls. */
  readonly restore: IamReleasePort["restore"];

  constructor(private readonly client: IAMClient) {
    const responder = new IamAdapter(client);
    this.restore = {
      disableKey: (userName, accessKeyId) => responder.disableKey(userName, accessKeyId),
      attachPolicy: (target, policyArn) => responder.attachPolicy(target, policyArn),
      tagPrincipal: (target, tags) => responder.tagPrincipal(target, tags),
      // The operator's credentials, not the responder's: its roles hold no Put*Policy.
      putRevokePolicy: async (target, policyName, issuedBefore) => {
        const PolicyDocument = denyOlderSessionsPolicy(issuedBefore);
        await (target.type === "user"
          ? call("iam:PutUserPolicy", () =>
              client.send(
                new PutUserPolicyCommand({ UserName: target.name, PolicyName: policyName, PolicyDocument }),
              ),
            )
          : call("iam:PutRolePolicy", () =>
              client.send(
                new PutRolePolicyCommand({ RoleName: target.name, PolicyName: policyName, PolicyDocument }),
              ),
            ));
      },
    };
  }

  async reactivateKey(userName: string, accessKeyId: string, deadline?: Date): Promise<void> {
    // Given up (retries included) at the deadline: a reactivation must not land after its window.
    const abortSignal = deadline
      ? AbortSignal.timeout(Math.max(0, deadline.getTime() - Date.now()))
      : undefined;
    await setAccessKeyStatus(this.client, userName, accessKeyId, "Active", abortSignal);
  }

  async detachPolicy(target: FenceTarget, policyArn: string): Promise<"detached" | "not-attached"> {
    const detached = await removeIfPresent(
      () => isPolicyAttached(this.client, target, policyArn),
      () => onPrincipal(this.client, target, PRINCIPAL_OPERATIONS.detachPolicy, { PolicyArn: policyArn }),
    );
    return detached ? "detached" : "not-attached";
  }

  async deleteInlinePolicy(target: FenceTarget, policyName: string): Promise<"deleted" | "absent"> {
    const deleted = await removeIfPresent(
      () => hasInlinePolicy(this.client, target, policyName),
      () =>
        onPrincipal(this.client, target, PRINCIPAL_OPERATIONS.deleteInlinePolicy, { PolicyName: policyName }),
    );
    return deleted ? "deleted" : "absent";
  }

  async untagPrincipal(target: FenceTarget, tagKeys: readonly string[]): Promise<void> {
    await onPrincipal(this.client, target, PRINCIPAL_OPERATIONS.untag, { TagKeys: [...tagKeys] });
  }

  /** Every tag key of the principal (the responder's quarantine tags among them), through every page. */
  async principalTagKeys(target: FenceTarget): Promise<readonly string[]> {
    return tagKeysOf(this.client, target);
  }
}
