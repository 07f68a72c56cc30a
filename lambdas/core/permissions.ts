import type { StepKind } from "./plan.js";

/** Whether an action only reads a principal or changes it (writes are denied on exempt principals). */
export type IamAccess = "read" | "write";

/** The resource type an action names: `user/*` or `role/*` ARNs of the account. */
export type IamResource = "user" | "role";

/** IAM actions a step needs, by the resource type they act on, each declared read or write. */
export interface IamGrant {
  readonly user: readonly string[];
  readonly role: readonly string[];
  /** Read or write, for every action of `user` and `role`. */
  readonly access: Readonly<Record<string, IamAccess>>;
}

/** Lists actions with their access once; `user` and `role` are the actions' names. */
function grant(actions: {
  readonly user?: Readonly<Record<string, IamAccess>>;
  readonly role?: Readonly<Record<string, IamAccess>>;
}): IamGrant {
  return {
    user: Object.keys(actions.user ?? {}),
    role: Object.keys(actions.role ?? {}),
    access: { ...actions.user, ...actions.role },
  };
}

const NONE: IamGrant = grant({});

export type PermissionRow = StepKind | "lookup-principal";

/**
 * Every IAM action the respond function calls, next to the step (or lookup) that calls it.
 * The construct builds the function's policy from this table; a test fails when an adapter
 * sends an IAM command that no row grants.
 */
export const IAM_PERMISSIONS: Readonly<Record<PermissionRow, IamGrant>> = {
  "lookup-principal": grant({
    user: { "iam:GetAccessKeyLastUsed": "read", "iam:ListAccessKeys": "read", "iam:ListUserTags": "read" },
    role: { "iam:ListRoleTags": "read" },
  }),
  "disable-key": grant({ user: { "iam:UpdateAccessKey": "write" } }),
  "attach-quarantine-policy": grant({
    user: { "iam:AttachUserPolicy": "write", "iam:ListAttachedUserPolicies": "read" },
    role: { "iam:AttachRolePolicy": "write", "iam:ListAttachedRolePolicies": "read" },
  }),
  // The same attach as the quarantine policy, pinned by iam:PolicyARN to the stack's deny-only policy.
  "attach-session-deny-policy": grant({
    user: { "iam:AttachUserPolicy": "write", "iam:ListAttachedUserPolicies": "read" },
  }),
  // No IAM action of the respond function: the role-session revoker function writes the policy
  // (see ROLE_SESSION_REVOKER_ACTIONS); respond may only invoke it.
  "revoke-sessions": NONE,
  "tag-principal": grant({ user: { "iam:TagUser": "write" }, role: { "iam:TagRole": "write" } }),
  "record-incident": NONE,
  notify: NONE,
  "emit-contained-event": NONE,
};

/** The one IAM action of the role-session revoker function, on role/* only. */
export const ROLE_SESSION_REVOKER_ACTIONS = ["iam:PutRolePolicy"] as const;

/**
 * What the member stack's revoker role holds besides: a release in a member account asks the revoker
 * to delete the key's revoke policy there (the member role deletes no inline policy).
 */
export const ROLE_SESSION_LIFT_ACTIONS = ["iam:ListRolePolicies", "iam:DeleteRolePolicy"] as const;

/** What the central revoker's role may do to reach a member account's revoker role. */
export const MEMBER_REVOKER_ASSUME_ACTIONS = ["sts:AssumeRole"] as const;

/** What the respond function may do to the revoker: invoke it, synchronously. */
export const ROLE_SESSION_REVOKER_INVOKE_ACTIONS = ["lambda:InvokeFunction"] as const;

/**
 * The IAM actions on one resource type, sorted, without repeats: of the rows named (every row
 * when none is), of the access given (both when none is).
 */
export function iamActionsFor(
  resource: IamResource,
  access?: IamAccess,
  rows: readonly PermissionRow[] = Object.keys(IAM_PERMISSIONS) as PermissionRow[],
): string[] {
  const actions = rows.flatMap((row) => {
    const { [resource]: names, access: accessOf } = IAM_PERMISSIONS[row];
    return names.filter((name) => access === undefined || accessOf[name] === access);
  });
  return [...new Set(actions)].sort();
}
