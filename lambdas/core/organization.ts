/**
 * What the central responder and the member stack agree on by name (written once): the member
 * account's own deny-only session policy, which the member role attaches as the home stack attaches its own.
 */
export function memberSessionDenyPolicyName(memberRoleName: string): string {
  return `${memberRoleName}-SessionDeny`;
}

/** That policy's ARN in a member account. */
export function memberSessionDenyPolicyArn(
  accountId: string,
  memberRoleName: string,
  partition = "aws",
): string {
  return `arn:${partition}:iam::${accountId}:policy/${memberSessionDenyPolicyName(memberRoleName)}`;
}

/**
 * The member stack's role-session revoker role: the one role of a member account that may write an
 * inline policy (the deny of a role's older sessions), assumable only by the central revoker function.
 */
export function memberRevokerRoleName(memberRoleName: string): string {
  return `${memberRoleName}-SessionRevoker`;
}

/** How long a member role name may be, so the revoker role named after it fits IAM's 64 characters. */
export const MAX_MEMBER_ROLE_NAME_LENGTH = 64 - memberRevokerRoleName("").length;

/** The member role's ARN in an account. */
export function memberRoleArn(accountId: string, memberRoleName: string, partition = "aws"): string {
  return `arn:${partition}:iam::${accountId}:role/${memberRoleName}`;
}

/**
 * The member role of an account could not be assumed: the account is outside the Organization
 * (the central roles may assume it only where `aws:ResourceOrgID` matches), or the member stack is
 * not deployed there. The responder only notifies about such an account's keys.
 */
export class MemberAccountUnreachableError extends Error {
  override readonly name = "MemberAccountUnreachableError";
  constructor(
    readonly accountId: string,
    readonly roleName: string,
    options: { cause: unknown },
  ) {
    super(
      `member role ${roleName} of account ${accountId} cannot be assumed (account outside the Organization, or no member stack there)`,
      options,
    );
  }
}

/** Responding in another account needs a member role, and none is configured (MEMBER_ROLE_NAME unset). */
export class NoMemberRoleError extends Error {
  override readonly name = "NoMemberRoleError";
  constructor(
    readonly accountId: string,
    readonly homeAccount: string,
  ) {
    super(
      `key of account ${accountId}, responder in ${homeAccount}: MEMBER_ROLE_NAME is unset, nothing changed there`,
    );
  }
}

/** The account of an incident id (`<account>-<access key id>`), if it has one. */
export function accountOfIncident(incidentId: string): string | undefined {
  return /^(\d{12})-/.exec(incidentId)?.[1];
}
