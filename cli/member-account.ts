import { IAMClient } from "@aws-sdk/client-iam";
import type { CallerIdentity } from "../lambdas/adapters/sts-identity.js";
import { MemberAccounts } from "../lambdas/adapters/sts-member-accounts.js";
import { SERVICE_NAME } from "../lambdas/core/contract.js";
import type { AwsContext } from "./aws.js";

/** IAM of the account an incident is in, and that account's id. */
export interface ActingIn {
  readonly iam: IAMClient;
  readonly accountId: string;
}

/**
 * IAM where the incident is: the caller's own account directly; a member account through the
 * member role (LKR_MEMBER_ROLE_NAME or the stack's MemberRoleName output), whose trust admits the
 * operator roles named at deploy time. Without a member role, the caller's own account (the release
 * then refuses an incident of another account, changing nothing).
 */
export async function actingIn(
  aws: AwsContext,
  caller: CallerIdentity,
  accountId: string | undefined,
): Promise<ActingIn> {
  if (accountId === undefined || accountId === caller.accountId) {
    return { iam: aws.iam(), accountId: caller.accountId };
  }
  const roleName = await aws.memberRoleName();
  if (roleName === undefined) return { iam: aws.iam(), accountId: caller.accountId };
  const members = new MemberAccounts({ roleName, sts: () => aws.sts(), sessionName: `${SERVICE_NAME}-lkr` });
  const credentials = await members.credentialsFor(accountId, caller.accountId);
  return { iam: new IAMClient({ ...aws.config, credentials }), accountId };
}
