import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  type ListAccessKeysCommandOutput,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  UntagUserCommand,
} from "@aws-sdk/client-iam";
import { NoSuchEntityError } from "../core/errors.js";
import { call } from "./aws-errors.js";

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
    const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
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
  async keyStatus(userName: string, accessKeyId: string): Promise<"Active" | "Inactive" | "absent"> {
    const out = await call("iam:ListAccessKeys", () =>
      this.client.send(new ListAccessKeysCommand({ UserName: userName })),
    );
    const key = out.AccessKeyMetadata?.find((k) => k.AccessKeyId === accessKeyId);
    if (key === undefined) return "absent";
    return key.Status === "Inactive" ? "Inactive" : "Active";
  }

  /**
   * Deletes the canary and everything the responder put on it (keys, inline and attached policies,
   * tags), then the user. Returns what it removed; a user already gone is not an error.
   */
  async remove(userName: string): Promise<string[]> {
    const removed: string[] = [];
    let keys: ListAccessKeysCommandOutput;
    try {
      keys = await call("iam:ListAccessKeys", () =>
        this.client.send(new ListAccessKeysCommand({ UserName: userName })),
      );
    } catch (error) {
      if (error instanceof NoSuchEntityError) return removed; // gone already
      throw error;
    }
    for (const key of keys.AccessKeyMetadata ?? []) {
      await call("iam:DeleteAccessKey", () =>
        this.client.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: key.AccessKeyId })),
      );
      removed.push(`access key ${key.AccessKeyId}`);
    }
    const inline = await call("iam:ListUserPolicies", () =>
      this.client.send(new ListUserPoliciesCommand({ UserName: userName })),
    );
    for (const name of inline.PolicyNames ?? []) {
      await call("iam:DeleteUserPolicy", () =>
        this.client.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: name })),
      );
      removed.push(`inline policy ${name}`);
    }
    const attached = await call("iam:ListAttachedUserPolicies", () =>
      this.client.send(new ListAttachedUserPoliciesCommand({ UserName: userName })),
    );
    for (const policy of attached.AttachedPolicies ?? []) {
      await call("iam:DetachUserPolicy", () =>
        this.client.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: policy.PolicyArn })),
      );
      removed.push(`attached policy ${policy.PolicyArn}`);
    }
    const tags = await call("iam:ListUserTags", () =>
      this.client.send(new ListUserTagsCommand({ UserName: userName })),
    );
    const tagKeys = (tags.Tags ?? []).map((t) => t.Key ?? "").filter((k) => k !== "");
    if (tagKeys.length > 0) {
      await call("iam:UntagUser", () =>
        this.client.send(new UntagUserCommand({ UserName: userName, TagKeys: tagKeys })),
      );
      removed.push(`tags ${tagKeys.join(", ")}`);
    }
    await call("iam:DeleteUser", () => this.client.send(new DeleteUserCommand({ UserName: userName })));
    removed.push(`user ${userName}`);
    return removed;
  }
}
