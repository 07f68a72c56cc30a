import * as z from "zod/mini";
import { ACCESS_KEY_ID_PATTERN } from "./access-key.js";
import { IAM_PRINCIPAL_NAME_PATTERN } from "./contract.js";
import { revokePolicyName } from "./plan.js";

/**
 * Ending the sessions of a leaked key without grant power. Users: a deny-only managed policy the
 * stack defines (every request made with temporary credentials is denied), attached like the
 * quarantine policy. Roles: IAM has no deny-only managed policy with a time in it, so an inline
 * policy names the time; only the role-session revoker function may write it, and it builds the
 * document itself from (role, time) alone.
 */

/** Sid of the statement in the stack's session-deny managed policy. */
export const SESSION_DENY_SID = "LeakedKeyResponderDenyTemporaryCredentials";

/**
 * The stack-owned deny-only managed policy for quarantined users: deny everything to requests made
 * with temporary credentials (they carry aws:TokenIssueTime; long-term keys do not). It also denies
 * sessions the user starts later, while it stays attached.
 */
export function sessionDenyPolicyDocument() {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: SESSION_DENY_SID,
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { Null: { "aws:TokenIssueTime": "false" } },
      },
    ],
  } as const;
}

/** Sid of the statement the revoker writes on a role. */
export const REVOKE_OLDER_SESSIONS_SID = "LeakedKeyResponderRevokeOlderSessions";

/**
 * Deny everything to sessions whose token was issued before `issuedBefore` (the IAM console's
 * "revoke active sessions" policy). Requests signed with a long-term key carry no token issue time
 * and are not matched.
 */
export function denyOlderSessionsPolicy(issuedBefore: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: REVOKE_OLDER_SESSIONS_SID,
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { DateLessThan: { "aws:TokenIssueTime": issuedBefore } },
      },
    ],
  });
}

/** How far `issuedBefore` may lie in the future (clock skew between the two functions). */
export const ISSUED_BEFORE_MAX_SKEW_MS = 5 * 60 * 1000;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

const ACCOUNT_ID = /^\d{12}$/;

/**
 * What the revoker is asked: the role, the key (it names the policy), and the instant; and, for a
 * role of a member account, that account (the revoker acts there through the member stack's
 * revoker role; without it, in its own account).
 */
export const RevokeRoleSessionsInputSchema = z.strictObject({
  roleName: z.string().check(z.regex(IAM_PRINCIPAL_NAME_PATTERN)),
  accessKeyId: z.string().check(z.regex(ACCESS_KEY_ID_PATTERN)),
  issuedBefore: z.string().check(z.regex(ISO_TIME)),
  accountId: z.optional(z.string().check(z.regex(ACCOUNT_ID))),
});
export type RevokeRoleSessionsInput = z.infer<typeof RevokeRoleSessionsInputSchema>;

/** The inline policy the revoker puts, built from the input alone. */
export interface RoleRevokePolicy {
  readonly roleName: string;
  readonly policyName: string;
  readonly policyDocument: string;
  /** The member account it is put in; undefined: the revoker's own account. */
  readonly accountId?: string | undefined;
}

export type RevokeInputCheck =
  | { readonly ok: true; readonly policy: RoleRevokePolicy }
  | { readonly ok: false; readonly issues: readonly string[] };

/**
 * Validates the revoker's input (`unknown`: it comes over Lambda Invoke) and builds the one policy
 * it may put. A time more than the skew in the future is refused: it would deny sessions not yet
 * issued, a denial of service the caller could not otherwise cause.
 */
export function revokePolicyFor(input: unknown, now: Date): RevokeInputCheck {
  const parsed = RevokeRoleSessionsInputSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`),
    };
  }
  const { roleName, accessKeyId, issuedBefore, accountId } = parsed.data;
  const at = Date.parse(issuedBefore);
  if (Number.isNaN(at)) return { ok: false, issues: ["issuedBefore: not a time"] };
  if (at > now.getTime() + ISSUED_BEFORE_MAX_SKEW_MS) {
    return { ok: false, issues: [`issuedBefore: ${issuedBefore} is in the future`] };
  }
  return {
    ok: true,
    policy: {
      roleName,
      policyName: revokePolicyName(accessKeyId),
      policyDocument: denyOlderSessionsPolicy(new Date(at).toISOString()),
      ...(accountId === undefined ? {} : { accountId }),
    },
  };
}

/**
 * A release in a member account asks the revoker to lift what it put there (the member role may
 * delete no inline policy: deleting a deny can grant): the role, the key and the account name the
 * one policy it deletes; nothing else can be named.
 */
export const LiftRoleSessionsInputSchema = z.strictObject({
  lift: z.literal(true),
  roleName: z.string().check(z.regex(IAM_PRINCIPAL_NAME_PATTERN)),
  accessKeyId: z.string().check(z.regex(ACCESS_KEY_ID_PATTERN)),
  accountId: z.string().check(z.regex(ACCOUNT_ID)),
});
export type LiftRoleSessionsInput = z.infer<typeof LiftRoleSessionsInputSchema>;

/** The revoke policy a lift deletes, or why the request is refused. */
export type LiftCheck =
  | { readonly ok: true; readonly roleName: string; readonly policyName: string; readonly accountId: string }
  | { readonly ok: false; readonly issues: readonly string[] };

export function liftPolicyFor(input: unknown): LiftCheck {
  const parsed = LiftRoleSessionsInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error.issues) };
  const { roleName, accessKeyId, accountId } = parsed.data;
  return { ok: true, roleName, policyName: revokePolicyName(accessKeyId), accountId };
}

/** Whether the revoker's input asks for a lift (it then must pass LiftRoleSessionsInputSchema). */
export function asksForLift(input: unknown): boolean {
  return typeof input === "object" && input !== null && "lift" in input;
}

function issuesOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
}

/**
 * What the revoker answers (it never throws for an expected failure, so the caller can tell a
 * refused request, a missing role and a passing fault apart): its schema is the contract.
 */
export const RevokeRoleSessionsResultSchema = z.discriminatedUnion("outcome", [
  z.object({ outcome: z.literal("revoked"), policyName: z.string() }),
  z.object({ outcome: z.literal("lifted"), policyName: z.string(), deleted: z.boolean() }),
  z.object({ outcome: z.literal("refused"), issues: z.array(z.string()) }),
  z.object({
    outcome: z.literal("failed"),
    error: z.enum(["no-such-entity", "transient", "denied"]),
    message: z.string(),
  }),
]);
export type RevokeRoleSessionsResult = z.infer<typeof RevokeRoleSessionsResultSchema>;
