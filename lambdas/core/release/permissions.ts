/**
 * The IAM actions `lkr release` / `resolve` call on a contained principal, by resource type, each
 * with the condition that narrows it where IAM has one. In a member account they go through the
 * member role; in the home account the operator's own credentials hold them.
 * Not here: `iam:Put*Policy` and `iam:Delete*Policy` (inline policies): both are grant power. In a
 * member account a role's revoke policy is lifted by the role-session revoker (cli/member-release.ts).
 */
export const RELEASE_IAM_ACTIONS = {
  user: [
    "iam:UpdateAccessKey",
    "iam:DetachUserPolicy",
    "iam:ListAttachedUserPolicies",
    "iam:UntagUser",
    "iam:ListUserTags",
  ],
  role: ["iam:DetachRolePolicy", "iam:ListAttachedRolePolicies", "iam:UntagRole", "iam:ListRoleTags"],
} as const;

/** Of RELEASE_IAM_ACTIONS, those pinned to the fence policies (`iam:PolicyARN`). */
export const RELEASE_DETACH_ACTIONS = ["iam:DetachUserPolicy", "iam:DetachRolePolicy"] as const;
/** Of RELEASE_IAM_ACTIONS, those pinned to the responder's quarantine tags (`aws:TagKeys`). */
export const RELEASE_UNTAG_ACTIONS = ["iam:UntagUser", "iam:UntagRole"] as const;
