import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { NoSuchEntityError } from "../core/errors.js";
import type { FenceTarget } from "../core/plan.js";
import type { IamPort } from "../core/ports.js";
import { call } from "./aws-errors.js";

/** Deny everything to sessions whose token was issued before `issuedBefore` (the IAM console's
 * "revoke active sessions" policy). Requests signed with a long-term key carry no token issue time
 * and are not matched. */
export function denyOlderSessionsPolicy(issuedBefore: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "LeakedKeyResponderRevokeOlderSessions",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:TokenIssueTime": issuedBefore } },
      },
    ],
  });
}

function tagsToRecord(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined) {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** Whether a managed policy is attached to a user or role (all pages of the listing). */
export async function isPolicyAttached(
  client: IAMClient,
  target: FenceTarget,
  policyArn: string,
): Promise<boolean> {
  let marker: string | undefined;
  do {
    const page =
      target.type === "user"
        ? await call("iam:ListAttachedUserPolicies", () =>
            client.send(new ListAttachedUserPoliciesCommand({ UserName: target.name, Marker: marker })),
          )
        : await call("iam:ListAttachedRolePolicies", () =>
            client.send(new ListAttachedRolePoliciesCommand({ RoleName: target.name, Marker: marker })),
          );
    if (page.AttachedPolicies?.some((p) => p.PolicyArn === policyArn)) return true;
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return false;
}

/** IAM through one client: the function's own credentials, or a member account's assumed role. */
export class IamAdapter implements IamPort {
  constructor(private readonly client: IAMClient) {}

  async findKeyOwner(accessKeyId: string): Promise<string | undefined> {
    try {
      const out = await call("iam:GetAccessKeyLastUsed", () =>
        this.client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })),
      );
      return out.UserName;
    } catch (error) {
      if (error instanceof NoSuchEntityError) return undefined;
      throw error;
    }
  }

  async describeUser(userName: string, accessKeyId: string) {
    const [tags, keys] = await Promise.all([
      call("iam:ListUserTags", () => this.client.send(new ListUserTagsCommand({ UserName: userName }))),
      call("iam:ListAccessKeys", () => this.client.send(new ListAccessKeysCommand({ UserName: userName }))),
    ]);
    const key = keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === accessKeyId);
    const keyStatus: "Active" | "Inactive" | "absent" =
      key === undefined ? "absent" : key.Status === "Inactive" ? "Inactive" : "Active";
    return { tags: tagsToRecord(tags.Tags), keyStatus };
  }

  async describeRole(roleName: string) {
    const out = await call("iam:ListRoleTags", () =>
      this.client.send(new ListRoleTagsCommand({ RoleName: roleName })),
    );
    return { tags: tagsToRecord(out.Tags) };
  }

  async disableKey(userName: string, accessKeyId: string): Promise<void> {
    await call("iam:UpdateAccessKey", () =>
      this.client.send(
        new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: "Inactive" }),
      ),
    );
  }

  async attachPolicy(target: FenceTarget, policyArn: string): Promise<"attached" | "already"> {
    if (await isPolicyAttached(this.client, target, policyArn)) return "already";
    if (target.type === "user") {
      await call("iam:AttachUserPolicy", () =>
        this.client.send(new AttachUserPolicyCommand({ UserName: target.name, PolicyArn: policyArn })),
      );
    } else {
      await call("iam:AttachRolePolicy", () =>
        this.client.send(new AttachRolePolicyCommand({ RoleName: target.name, PolicyArn: policyArn })),
      );
    }
    return "attached";
  }

  async putDenyOlderSessions(target: FenceTarget, policyName: string, issuedBefore: string): Promise<void> {
    const PolicyDocument = denyOlderSessionsPolicy(issuedBefore);
    if (target.type === "user") {
      await call("iam:PutUserPolicy", () =>
        this.client.send(
          new PutUserPolicyCommand({ UserName: target.name, PolicyName: policyName, PolicyDocument }),
        ),
      );
    } else {
      await call("iam:PutRolePolicy", () =>
        this.client.send(
          new PutRolePolicyCommand({ RoleName: target.name, PolicyName: policyName, PolicyDocument }),
        ),
      );
    }
  }

  async tagPrincipal(target: FenceTarget, tags: Readonly<Record<string, string>>): Promise<void> {
    const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    if (target.type === "user") {
      await call("iam:TagUser", () => this.client.send(new TagUserCommand({ UserName: target.name, Tags })));
    } else {
      await call("iam:TagRole", () => this.client.send(new TagRoleCommand({ RoleName: target.name, Tags })));
    }
  }
}
