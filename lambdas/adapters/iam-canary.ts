import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import type { FenceTarget } from "../core/plan.js";
import { call, unlessGone } from "./aws-errors.js";
import { type AccessKeyStatus, accessKeyStatus, listAccessKeys } from "./iam-access-keys.js";
import { onPrincipal, PRINCIPAL_OPERATIONS, toTagList } from "./iam-principal.js";

/** IAM actions the drill needs on its canary user (`user/leaked-key-responder/drill/*`). */
export const DRILL_IAM_ACTIONS = [
  "iam:CreateUser",
  "iam:TagUser",
  "iam:CreateAccessKey",
  "iam:ListAccessKeys",
  "iam:DeleteAccessKey",
  "iam:ListUserPolicies",
  "iam:DeleteUserPolicy",
  "iam:ListAttachedUserPolicies",
  "iam:DetachUserPolicy",
  "iam:ListUserTags",
  "iam:UntagUser",
  "iam:DeleteUser",
] as const;

/**
 * The drill's canary: a user with no permissions and one access key. Its secret is never kept:
 * nobody needs to sign with it, the responder only has to disable it.
 */
export class IamCanary {
  constructor(private readonly client: IAMClient) {}

  async create(userName: string, path: string, tags: Readonly<Record<string, string>>): Promise<string> {
    const Tags = toTagList(tags);
    await call("iam:CreateUser", () =>
      this.client.send(new CreateUserCommand({ UserName: userName, Path: path, Tags })),
    );
    const out = await call("iam:CreateAccessKey", () =>
      this.client.send(new CreateAccessKeyCommand({ UserName: userName })),
    );
    const accessKeyId = out.AccessKey?.AccessKeyId;
    if (!accessKeyId) throw new Error(`iam:CreateAccessKey returned no key for ${userName}`);
    return accessKeyId;
  }

  /** The key's status; `absent` when the user has no such key. */
  async keyStatus(userName: string, accessKeyId: string): Promise<AccessKeyStatus> {
    return accessKeyStatus(this.client, userName, accessKeyId);
  }

  /**
   * Deletes the canary and everything the responder put on it (keys, inline and attached policies,
   * tags), then the user. Returns what it removed; a user already gone is not an error. Each listing
   * reads its first page only: the canary holds a handful of each.
   */
  async remove(userName: string): Promise<string[]> {
    const removed: string[] = [];
    const keys = await unlessGone(() => listAccessKeys(this.client, userName), undefined);
    if (keys === undefined) return removed; // gone already
    for (const key of keys) {
      await call("iam:DeleteAccessKey", () =>
        this.client.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: key.AccessKeyId })),
      );
      removed.push(`access key ${key.AccessKeyId}`);
    }
    const user: FenceTarget = { type: "user", name: userName };
    const ops = PRINCIPAL_OPERATIONS;
    const inline = await onPrincipal(this.client, user, ops.listInlinePolicies, {});
    for (const name of inline.PolicyNames ?? []) {
      await onPrincipal(this.client, user, ops.deleteInlinePolicy, { PolicyName: name });
      removed.push(`inline policy ${name}`);
    }
    const attached = await onPrincipal(this.client, user, ops.listAttachedPolicies, {});
    for (const policy of attached.AttachedPolicies ?? []) {
      await onPrincipal(this.client, user, ops.detachPolicy, { PolicyArn: policy.PolicyArn });
      removed.push(`attached policy ${policy.PolicyArn}`);
    }
    const tags = await onPrincipal(this.client, user, ops.listTags, {});
    const tagKeys = (tags.Tags ?? []).map((t) => t.Key ?? "").filter((k) => k !== "");
    if (tagKeys.length > 0) {
      await onPrincipal(this.client, user, ops.untag, { TagKeys: tagKeys });
      removed.push(`tags ${tagKeys.join(", ")}`);
    }
    await call("iam:DeleteUser", () => this.client.send(new DeleteUserCommand({ UserName: userName })));
    removed.push(`user ${userName}`);
    return removed;
  }
}
