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

/** The member role's ARN in an account. */
export function memberRoleArn(accountId: string, memberRoleName: string, partition = "aws"): string {
  return `arn:${partition}:iam::${accountId}:role/${memberRoleName}`;
}
