import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { NoSuchEntityError } from "../core/errors.js";
import type { FenceTarget } from "../core/plan.js";
import type { IamReleasePort } from "../core/release/ports.js";
import { call } from "./aws-errors.js";
import { isPolicyAttached } from "./iam.js";

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
  ],
  role: [
    "iam:ListAttachedRolePolicies",
    "iam:DetachRolePolicy",
    "iam:ListRolePolicies",
    "iam:DeleteRolePolicy",
    "iam:ListRoleTags",
    "iam:UntagRole",
  ],
} as const;

/**
 * Gives back what the responder did to IAM. Each method is idempotent: a policy that is not
 * attached (any more) or an inline policy that is gone is reported, not an error; a principal or
 * key that no longer exists raises NoSuchEntityError.
 */
export class IamReleaseAdapter implements IamReleasePort {
  constructor(private readonly client: IAMClient) {}

  async reactivateKey(userName: string, accessKeyId: string): Promise<void> {
    await call("iam:UpdateAccessKey", () =>
      this.client.send(
        new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: "Active" }),
      ),
    );
  }

  async detachPolicy(target: FenceTarget, policyArn: string): Promise<"detached" | "not-attached"> {
    if (!(await isPolicyAttached(this.client, target, policyArn))) return "not-attached";
    try {
      await this.detach(target, policyArn);
    } catch (error) {
      // Detached by someone else between the listing and now.
      if (error instanceof NoSuchEntityError) return "not-attached";
      throw error;
    }
    return "detached";
  }

  private async detach(target: FenceTarget, policyArn: string): Promise<void> {
    if (target.type === "user") {
      await call("iam:DetachUserPolicy", () =>
        this.client.send(new DetachUserPolicyCommand({ UserName: target.name, PolicyArn: policyArn })),
      );
    } else {
      await call("iam:DetachRolePolicy", () =>
        this.client.send(new DetachRolePolicyCommand({ RoleName: target.name, PolicyArn: policyArn })),
      );
    }
  }

  async deleteInlinePolicy(target: FenceTarget, policyName: string): Promise<"deleted" | "absent"> {
    if (!(await this.hasInlinePolicy(target, policyName))) return "absent";
    try {
      await this.deleteInline(target, policyName);
    } catch (error) {
      // Deleted by someone else between the listing and now.
      if (error instanceof NoSuchEntityError) return "absent";
      throw error;
    }
    return "deleted";
  }

  private async deleteInline(target: FenceTarget, policyName: string): Promise<void> {
    if (target.type === "user") {
      await call("iam:DeleteUserPolicy", () =>
        this.client.send(new DeleteUserPolicyCommand({ UserName: target.name, PolicyName: policyName })),
      );
    } else {
      await call("iam:DeleteRolePolicy", () =>
        this.client.send(new DeleteRolePolicyCommand({ RoleName: target.name, PolicyName: policyName })),
      );
    }
  }

  async untagPrincipal(target: FenceTarget, tagKeys: readonly string[]): Promise<void> {
    const TagKeys = [...tagKeys];
    if (target.type === "user") {
      await call("iam:UntagUser", () =>
        this.client.send(new UntagUserCommand({ UserName: target.name, TagKeys })),
      );
    } else {
      await call("iam:UntagRole", () =>
        this.client.send(new UntagRoleCommand({ RoleName: target.name, TagKeys })),
      );
    }
  }

  /** Every tag key of the principal (the responder's quarantine tags among them), through every page. */
  async principalTagKeys(target: FenceTarget): Promise<readonly string[]> {
    const keys: string[] = [];
    let marker: string | undefined;
    do {
      const page =
        target.type === "user"
          ? await call("iam:ListUserTags", () =>
              this.client.send(new ListUserTagsCommand({ UserName: target.name, Marker: marker })),
            )
          : await call("iam:ListRoleTags", () =>
              this.client.send(new ListRoleTagsCommand({ RoleName: target.name, Marker: marker })),
            );
      for (const tag of page.Tags ?? []) if (tag.Key !== undefined) keys.push(tag.Key);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return keys;
  }

  private async hasInlinePolicy(target: FenceTarget, policyName: string): Promise<boolean> {
    let marker: string | undefined;
    do {
      const page =
        target.type === "user"
          ? await call("iam:ListUserPolicies", () =>
              this.client.send(new ListUserPoliciesCommand({ UserName: target.name, Marker: marker })),
            )
          : await call("iam:ListRolePolicies", () =>
              this.client.send(new ListRolePoliciesCommand({ RoleName: target.name, Marker: marker })),
            );
      if (page.PolicyNames?.includes(policyName)) return true;
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return false;
  }
}
