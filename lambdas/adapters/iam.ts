import { GetAccessKeyLastUsedCommand, type IAMClient } from "@aws-sdk/client-iam";
import type { FenceTarget } from "../core/plan.js";
import type { IamPort } from "../core/ports.js";
import { call, unlessGone } from "./aws-errors.js";
import { accessKeyStatus, listAccessKeys, setAccessKeyStatus } from "./iam-access-keys.js";
import { isPolicyAttached, onPrincipal, PRINCIPAL_OPERATIONS, toTagList } from "./iam-principal.js";

function tagsToRecord(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined) {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** IAM through one client: the function's own credentials, or a member account's assumed role. */
export class IamAdapter implements IamPort {
  constructor(private readonly client: IAMClient) {}

  async findKeyOwner(accessKeyId: string): Promise<string | undefined> {
    const out = await unlessGone(
      () =>
        call("iam:GetAccessKeyLastUsed", () =>
          this.client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })),
        ),
      undefined,
    );
    return out?.UserName;
  }

  async describeUser(userName: string, accessKeyId: string, tagsAfter?: Promise<void>) {
    // The status read first: it must leave before a disable sent beside it (early-disable.ts).
    const keyStatus = accessKeyStatus(this.client, userName, accessKeyId);
    const user = { type: "user", name: userName } as const;
    const tags = tagsAfter ? tagsAfter.then(() => this.tagsOf(user)) : this.tagsOf(user);
    const [tagsOfUser, status] = await Promise.all([tags, keyStatus]);
    return { tags: tagsOfUser, keyStatus: status };
  }

  async listUserKeys(userName: string) {
    return (await listAccessKeys(this.client, userName)).map((k) => ({
      accessKeyId: k.AccessKeyId ?? "",
      status: k.Status === "Inactive" ? ("Inactive" as const) : ("Active" as const),
    }));
  }

  async describeRole(roleName: string) {
    return { tags: await this.tagsOf({ type: "role", name: roleName }) };
  }

  /** The principal's tags, from the first page (IAM allows 50 tags; a page holds 100). */
  private async tagsOf(target: FenceTarget): Promise<Record<string, string>> {
    const out = await onPrincipal(this.client, target, PRINCIPAL_OPERATIONS.listTags, {});
    return tagsToRecord(out.Tags);
  }

  async disableKey(userName: string, accessKeyId: string): Promise<void> {
    await setAccessKeyStatus(this.client, userName, accessKeyId, "Inactive");
  }

  async enableKey(userName: string, accessKeyId: string): Promise<void> {
    await setAccessKeyStatus(this.client, userName, accessKeyId, "Active");
  }

  async attachPolicy(target: FenceTarget, policyArn: string): Promise<"attached" | "already"> {
    if (await isPolicyAttached(this.client, target, policyArn)) return "already";
    await onPrincipal(this.client, target, PRINCIPAL_OPERATIONS.attachPolicy, { PolicyArn: policyArn });
    return "attached";
  }

  principalTags(target: FenceTarget): Promise<Record<string, string>> {
    return this.tagsOf(target);
  }

  async tagPrincipal(target: FenceTarget, tags: Readonly<Record<string, string>>): Promise<void> {
    const Tags = toTagList(tags);
    await onPrincipal(this.client, target, PRINCIPAL_OPERATIONS.tag, { Tags });
  }
}
