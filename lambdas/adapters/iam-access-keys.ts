import { type IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { call } from "./aws-errors.js";

export type AccessKeyStatus = "Active" | "Inactive" | "absent";

/** Sets one access key of one user Active or Inactive, and nothing else. */
export async function setAccessKeyStatus(
  client: IAMClient,
  userName: string,
  accessKeyId: string,
  status: "Active" | "Inactive",
  abortSignal?: AbortSignal,
): Promise<void> {
  await call("iam:UpdateAccessKey", () =>
    client.send(
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
      abortSignal ? { abortSignal } : {},
    ),
  );
}

/** The user's access keys (a user has two at most, so one page holds them all). */
export async function listAccessKeys(client: IAMClient, userName: string) {
  const out = await call("iam:ListAccessKeys", () =>
    client.send(new ListAccessKeysCommand({ UserName: userName })),
  );
  return out.AccessKeyMetadata ?? [];
}

/** The status of one key of the user; `absent` when the user has no such key. */
export async function accessKeyStatus(
  client: IAMClient,
  userName: string,
  accessKeyId: string,
): Promise<AccessKeyStatus> {
  const key = (await listAccessKeys(client, userName)).find((k) => k.AccessKeyId === accessKeyId);
  if (key === undefined) return "absent";
  return key.Status === "Inactive" ? "Inactive" : "Active";
}
