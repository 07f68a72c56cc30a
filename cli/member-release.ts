import { LambdaRoleSessionRevoker } from "../lambdas/adapters/lambda-role-revoker.js";
import { isAccessKeyId } from "../lambdas/core/access-key.js";
import { AwsCallError } from "../lambdas/core/errors.js";
import type { RoleSessionLifter, RoleSessionRevoker } from "../lambdas/core/ports.js";
import type { IamReleasePort } from "../lambdas/core/release/ports.js";
import { REVOKE_POLICY_PREFIX } from "../lambdas/core/sources/iam-watch.js";
import type { AwsContext } from "./aws.js";

/** The role-session revoker a release in a member account goes through (the deployed function, or one given in tests). */
export type MemberRevokerFor = (accountId: string) => Promise<RoleSessionRevoker & RoleSessionLifter>;

/** The deployed revoker function (LKR_ROLE_SESSION_REVOKER_FUNCTION or the stack's output), told the account. */
export function deployedRevokerFor(aws: AwsContext): MemberRevokerFor {
  return async (accountId) =>
    new LambdaRoleSessionRevoker(aws.lambda(), await aws.roleSessionRevokerFunction(), accountId);
}

function keyOfRevokePolicy(policyName: string): string {
  const key = policyName.startsWith(REVOKE_POLICY_PREFIX)
    ? policyName.slice(REVOKE_POLICY_PREFIX.length)
    : "";
  if (!isAccessKeyId(key)) {
    throw new AwsCallError("iam:DeleteRolePolicy", "NotARevokePolicy", {
      cause: new Error(`${policyName} is not a revoke policy of the responder: delete it by hand`),
    });
  }
  return key;
}

/**
 * A release in a member account through the member role, except a role's revoke policy: the member
 * role may write and delete no inline policy (deleting a deny can grant), so the revoker function
 * lifts it there (and puts it back, if a new signal contained the key while the release ran). It is
 * asked only when such a step comes up: a release with no revoked role needs no revoker.
 */
export function withMemberRevoker(
  iam: IamReleasePort,
  accountId: string,
  revokerFor: MemberRevokerFor,
): IamReleasePort {
  return {
    // A class instance: its methods are delegated one by one (a spread would lose them).
    reactivateKey: (userName, accessKeyId) => iam.reactivateKey(userName, accessKeyId),
    detachPolicy: (target, policyArn) => iam.detachPolicy(target, policyArn),
    untagPrincipal: (target, tagKeys) => iam.untagPrincipal(target, tagKeys),
    principalTagKeys: (target) => iam.principalTagKeys(target),
    deleteInlinePolicy: async (target, policyName) => {
      if (target.type !== "role") return iam.deleteInlinePolicy(target, policyName);
      const revoker = await revokerFor(accountId);
      return revoker.lift({ roleName: target.name, accessKeyId: keyOfRevokePolicy(policyName), accountId });
    },
    restore: {
      ...iam.restore,
      putRevokePolicy: async (target, policyName, issuedBefore) => {
        if (target.type !== "role") return iam.restore.putRevokePolicy(target, policyName, issuedBefore);
        const revoker = await revokerFor(accountId);
        await revoker.revoke({
          roleName: target.name,
          accessKeyId: keyOfRevokePolicy(policyName),
          issuedBefore,
        });
      },
    },
  };
}
