/**
 * Every IAM action the audit calls, next to the read that needs it, with the resource type it
 * names. The construct builds the audit role's policy from this table; a test fails when the
 * audit's adapter sends an IAM command no row grants. All are reads: the audit changes nothing.
 */
export type AuditIamResource = "*" | "user" | "group" | "policy";

export const AUDIT_IAM_PERMISSIONS: Readonly<
  Record<string, Readonly<Partial<Record<AuditIamResource, readonly string[]>>>>
> = {
  // Account-wide, no resource-level permissions: Resource must be "*".
  "credential-report": { "*": ["iam:GenerateCredentialReport", "iam:GetCredentialReport"] },
  "list-keys": { user: ["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"] },
  "admin-scope": {
    user: [
      "iam:ListAttachedUserPolicies",
      "iam:ListUserPolicies",
      "iam:GetUserPolicy",
      "iam:ListGroupsForUser",
    ],
    group: ["iam:ListAttachedGroupPolicies", "iam:ListGroupPolicies", "iam:GetGroupPolicy"],
    policy: ["iam:GetPolicy", "iam:GetPolicyVersion"],
  },
};

/** The audit's IAM actions on one resource type, sorted, without repeats. */
export function auditIamActionsFor(resource: AuditIamResource): string[] {
  const actions = Object.values(AUDIT_IAM_PERMISSIONS).flatMap((row) => row[resource] ?? []);
  return [...new Set(actions)].sort();
}
