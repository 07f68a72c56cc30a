import type { StepKind } from "./plan.js";

/** IAM actions a step needs, by the resource type they act on (`user/*` or `role/*` ARNs). */
export interface IamGrant {
  readonly user: readonly string[];
  readonly role: readonly string[];
}

const NONE: IamGrant = { user: [], role: [] };

/**
 * Every IAM action the respond function calls, next to the step (or lookup) that calls it.
 * The construct builds the function's policy from this table; a test fails when an adapter
 * sends an IAM command that no row grants.
 */
export const IAM_PERMISSIONS: Readonly<Record<StepKind | "lookup-principal", IamGrant>> = {
  "lookup-principal": {
    user: ["iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:ListUserTags"],
    role: ["iam:ListRoleTags"],
  },
  "disable-key": { user: ["iam:UpdateAccessKey"], role: [] },
  "attach-quarantine-policy": {
    user: ["iam:AttachUserPolicy", "iam:ListAttachedUserPolicies"],
    role: ["iam:AttachRolePolicy", "iam:ListAttachedRolePolicies"],
  },
  "revoke-sessions": { user: ["iam:PutUserPolicy"], role: ["iam:PutRolePolicy"] },
  "tag-principal": { user: ["iam:TagUser"], role: ["iam:TagRole"] },
  "record-incident": NONE,
  notify: NONE,
  "emit-contained-event": NONE,
};

/** The IAM actions of the table for one resource type, sorted, without repeats. */
export function iamActionsFor(resource: keyof IamGrant): string[] {
  return [...new Set(Object.values(IAM_PERMISSIONS).flatMap((grant) => grant[resource]))].sort();
}
