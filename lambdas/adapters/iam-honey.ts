import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetAccessKeyLastUsedCommand,
  type IAMClient,
  ListAttachedUserPoliciesCommand,
} from "@aws-sdk/client-iam";
import type { HoneyIamReader, HoneyKeyFacts } from "../core/honeykey/ports.js";
import { call, unlessGone } from "./aws-errors.js";
import { accessKeyStatus, listAccessKeys, setAccessKeyStatus } from "./iam-access-keys.js";
import { toTagList } from "./iam-principal.js";

/** IAM actions lkr needs to plant, rotate and retire honey keys (on the honey users only). */
export const HONEYKEY_CLI_IAM_ACTIONS = [
  "iam:CreateUser",
  "iam:TagUser",
  "iam:AttachUserPolicy",
  "iam:CreateAccessKey",
  "iam:ListAccessKeys",
  "iam:UpdateAccessKey",
  "iam:GetAccessKeyLastUsed",
  "iam:ListAttachedUserPolicies",
] as const;

/** IAM actions of the scheduled safety net: reads only. */
export const HONEYKEY_CHECK_IAM_ACTIONS = [
  "iam:GetAccessKeyLastUsed",
  "iam:ListAccessKeys",
  "iam:ListAttachedUserPolicies",
] as const;

export interface NewHoneyKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * IAM for honey users: create (user, deny-all policy, tag, one key), rotate (a new key, the old one
 * Inactive), retire (Inactive). Nothing here deletes anything.
 */
export class IamHoneyKeys implements HoneyIamReader {
  constructor(private readonly client: IAMClient) {}

  /**
   * The user with its tags and the deny-all policy, then its key: the deny is in place before a
   * key exists.
   */
  async create(
    userName: string,
    path: string,
    tags: Readonly<Record<string, string>>,
    denyPolicyArn: string,
  ): Promise<NewHoneyKey> {
    await call("iam:CreateUser", () =>
      this.client.send(new CreateUserCommand({ UserName: userName, Path: path, Tags: toTagList(tags) })),
    );
    await call("iam:AttachUserPolicy", () =>
      this.client.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: denyPolicyArn })),
    );
    return this.newKey(userName);
  }

  async newKey(userName: string): Promise<NewHoneyKey> {
    const out = await call("iam:CreateAccessKey", () =>
      this.client.send(new CreateAccessKeyCommand({ UserName: userName })),
    );
    const key = out.AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) {
      throw new Error(`iam:CreateAccessKey returned no key for ${userName}`);
    }
    return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  }

  /** How many keys the user holds (IAM allows two). */
  async keyCount(userName: string): Promise<number> {
    return (await listAccessKeys(this.client, userName)).length;
  }

  async disable(userName: string, accessKeyId: string): Promise<void> {
    await setAccessKeyStatus(this.client, userName, accessKeyId, "Inactive");
  }

  async facts(userName: string, accessKeyId: string): Promise<HoneyKeyFacts> {
    const lastUsed = await unlessGone(
      () =>
        call("iam:GetAccessKeyLastUsed", () =>
          this.client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })),
        ),
      undefined,
    );
    const used = lastUsed?.AccessKeyLastUsed;
    const keyStatus = await unlessGone(
      () => accessKeyStatus(this.client, userName, accessKeyId),
      "absent" as const,
    );
    const attached = await unlessGone(
      () =>
        call("iam:ListAttachedUserPolicies", () =>
          this.client.send(new ListAttachedUserPoliciesCommand({ UserName: userName })),
        ),
      undefined,
    );
    return {
      lastUsed: used?.LastUsedDate
        ? {
            at: used.LastUsedDate.toISOString(),
            service: used.ServiceName ?? "N/A",
            region: used.Region ?? "N/A",
          }
        : undefined,
      keyStatus,
      attachedPolicyArns: attached
        ? (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? "").filter((arn) => arn !== "")
        : undefined,
    };
  }
}
